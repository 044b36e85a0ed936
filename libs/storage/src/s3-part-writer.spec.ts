import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { eventually } from '@lfs-depot/testing';

import { PartBufferPool } from './part-buffer-pool.js';
import { type PartTarget, S3PartWriter, type UploadedPart } from './s3-part-writer.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Writes `chunk` and resolves once the writer has taken it in (its write callback ran). */
function written(writer: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    writer.write(chunk, (error) => (error ? reject(error) : resolve())),
  );
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

interface SentPart {
  partNumber: number;
  bytes: Buffer;
  signal: AbortSignal;
  /** Lets the request answer (or fail, with an error). */
  answer: (error?: Error) => void;
}

/**
 * A PartTarget that records every request and lets the test decide when each part's request answers (at once when
 * `answerParts` is 'at once'). Requests it does not expect fail the test through `unexpected`.
 */
function recordingTarget(answerParts: 'at once' | 'by hand' = 'at once') {
  const calls: string[] = [];
  const parts: SentPart[] = [];
  let inFlight = 0;
  let peakInFlight = 0;
  const put: Buffer[] = [];
  const completed: UploadedPart[][] = [];
  const target: PartTarget = {
    async putObject(body, length) {
      calls.push(`put ${length}`);
      put.push(await readAll(body()));
    },
    createMultipartUpload() {
      calls.push('create');
      return Promise.resolve('upload-1');
    },
    async uploadPart(uploadId, partNumber, body, length, signal) {
      calls.push(`part ${partNumber} ${length}`);
      const bytes = await readAll(body());
      expect(bytes.length).toBe(length);
      inFlight += 1;
      peakInFlight = Math.max(peakInFlight, inFlight);
      try {
        await new Promise<void>((resolve, reject) => {
          const answer = (error?: Error): void => (error ? reject(error) : resolve());
          parts.push({ partNumber, bytes, signal, answer });
          signal.addEventListener('abort', () => reject(new Error('request aborted')), { once: true });
          if (answerParts === 'at once') {
            answer();
          }
        });
      } finally {
        inFlight -= 1;
      }
      return `etag-${partNumber}`;
    },
    completeMultipartUpload(uploadId, list) {
      calls.push(`complete ${uploadId}`);
      completed.push(list);
      return Promise.resolve();
    },
    abortMultipartUpload(uploadId) {
      calls.push(`abort ${uploadId}`);
      return Promise.resolve();
    },
  };
  return {
    target,
    calls,
    parts,
    put,
    completed,
    get peakInFlight() {
      return peakInFlight;
    },
  };
}

function writerFor(target: PartTarget, pool: PartBufferPool, size: number, partsInFlight = 2): S3PartWriter {
  return new S3PartWriter({ target, pool, size, partSize: 10, partsInFlight });
}

/** Destroys `writer` with `error`; resolves to the error it emitted once it has closed. */
function destroyed(writer: Writable, error: Error): Promise<Error> {
  return new Promise((resolve) => {
    let emitted: Error | undefined;
    writer.once('error', (reported) => (emitted = reported));
    writer.once('close', () => resolve(emitted ?? new Error('no error emitted')));
    writer.destroy(error);
  });
}

/** `content` as a stream of `chunkSize`-byte chunks. */
function chunked(content: Buffer, chunkSize: number): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < content.length; offset += chunkSize) {
    chunks.push(content.subarray(offset, offset + chunkSize));
  }
  return Readable.from(chunks);
}

describe(S3PartWriter.name, () => {
  describe('a multipart upload', () => {
    it('sends full parts in order and completes with every part only after end()', async () => {
      const recorder = recordingTarget();
      const pool = new PartBufferPool(40, { slabSize: 4 });
      const content = randomBytes(35);
      const writer = writerFor(recorder.target, pool, content.length);

      await written(writer, content.subarray(0, 33));
      await eventually(() => recorder.parts.length === 3);
      expect(recorder.calls).toEqual(['create', 'part 1 10', 'part 2 10', 'part 3 10']);
      expect(writer.isCommitted).toBe(false);

      writer.end(content.subarray(33));
      await new Promise((resolve) => writer.once('finish', resolve));
      expect(recorder.calls).toEqual([
        'create',
        'part 1 10',
        'part 2 10',
        'part 3 10',
        'part 4 5',
        'complete upload-1',
      ]);
      expect(recorder.completed).toEqual([[1, 2, 3, 4].map((n) => ({ PartNumber: n, ETag: `etag-${n}` }))]);
      expect(Buffer.concat(recorder.parts.map((part) => part.bytes))).toEqual(content);
      expect(writer.isCommitted).toBe(true);
      expect(pool.reserved).toBe(0);
    });

    it('holds back a last part that is full until end(), when the size is a multiple of the part size', async () => {
      const recorder = recordingTarget();
      const pool = new PartBufferPool(40, { slabSize: 4 });
      const writer = writerFor(recorder.target, pool, 20);
      await written(writer, randomBytes(20));
      await eventually(() => recorder.parts.length === 1);
      expect(recorder.calls).toEqual(['create', 'part 1 10']);
      writer.end();
      await new Promise((resolve) => writer.once('finish', resolve));
      expect(recorder.calls).toEqual(['create', 'part 1 10', 'part 2 10', 'complete upload-1']);
    });

    it('keeps at most partsInFlight parts in flight, and no more buffers than the pool holds', async () => {
      const recorder = recordingTarget('by hand');
      const pool = new PartBufferPool(40, { slabSize: 5 });
      const content = randomBytes(95);
      const writer = writerFor(recorder.target, pool, content.length, 2);
      const done = pipeline(chunked(content, 7), writer);
      for (let answered = 0; answered < 10; answered += 1) {
        await eventually(() => recorder.parts.length > answered);
        expect(recorder.parts.length - answered).toBeLessThanOrEqual(2);
        expect(pool.reserved).toBeLessThanOrEqual(40);
        recorder.parts[answered].answer();
      }
      await done;
      expect(recorder.peakInFlight).toBe(2);
      expect(Buffer.concat(recorder.parts.map((part) => part.bytes))).toEqual(content);
      expect(pool.peakReserved).toBeLessThanOrEqual(40);
      expect(pool.reserved).toBe(0);
    });

    it('shares the pool between uploads: one waits for buffers while the other holds them all', async () => {
      const recorders = [recordingTarget('by hand'), recordingTarget('by hand')];
      // Room for one part of 10 bytes.
      const pool = new PartBufferPool(10, { slabSize: 5 });
      const contents = [randomBytes(25), randomBytes(25)];
      const writers = recorders.map((recorder, index) =>
        writerFor(recorder.target, pool, contents[index].length, 4),
      );
      const done = writers.map((writer, index) => pipeline(chunked(contents[index], 5), writer));
      await eventually(() => pool.waiters > 0);
      expect(pool.reserved).toBe(10);
      // Answer every part sent so far until both uploads are through.
      let finished = false;
      const all = Promise.all(done).then(() => {
        finished = true;
      });
      while (!finished) {
        await settle();
        expect(pool.reserved).toBeLessThanOrEqual(10);
        recorders.forEach((recorder) => recorder.parts.forEach((part) => part.answer()));
      }
      await all;
      await Promise.all(done);
      recorders.forEach((recorder, index) =>
        expect(Buffer.concat(recorder.parts.map((part) => part.bytes))).toEqual(contents[index]),
      );
      expect(pool.peakReserved).toBe(10);
      expect(pool.allocated).toBe(10);
      expect(pool.reserved).toBe(0);
    });
  });

  describe('a single-part upload', () => {
    it('sends one PutObject after end(), and no multipart upload', async () => {
      const recorder = recordingTarget();
      const pool = new PartBufferPool(16, { slabSize: 4 });
      const content = randomBytes(10);
      const writer = writerFor(recorder.target, pool, content.length);
      await written(writer, content);
      expect(recorder.calls).toEqual([]);
      writer.end();
      await new Promise((resolve) => writer.once('finish', resolve));
      expect(recorder.calls).toEqual(['put 10']);
      expect(recorder.put).toEqual([content]);
      expect(pool.reserved).toBe(0);
    });

    it('stores an empty object with an empty PutObject', async () => {
      const recorder = recordingTarget();
      const pool = new PartBufferPool(16, { slabSize: 4 });
      await pipeline(Readable.from([]), writerFor(recorder.target, pool, 0));
      expect(recorder.calls).toEqual(['put 0']);
      expect(recorder.put).toEqual([Buffer.alloc(0)]);
    });
  });

  describe('failures', () => {
    it('aborts the parts in flight and the multipart upload when a part fails, and commits nothing', async () => {
      const recorder = recordingTarget('by hand');
      const pool = new PartBufferPool(40, { slabSize: 5 });
      const writer = writerFor(recorder.target, pool, 50, 2);
      const done = pipeline(chunked(randomBytes(50), 5), writer);
      await eventually(() => recorder.parts.length === 2);
      recorder.parts[0].answer(new Error('503 SlowDown, thrice'));
      await expect(done).rejects.toThrow('503 SlowDown, thrice');
      expect(recorder.parts[1].signal.aborted).toBe(true);
      expect(recorder.calls.filter((call) => !call.startsWith('part'))).toEqual(['create', 'abort upload-1']);
      expect(writer.isCommitted).toBe(false);
      expect(pool.reserved).toBe(0);
    });

    it('aborts everything when destroyed mid-upload (the client went away), and gives every buffer back', async () => {
      const recorder = recordingTarget('by hand');
      const pool = new PartBufferPool(40, { slabSize: 5 });
      const writer = writerFor(recorder.target, pool, 50, 2);
      await written(writer, randomBytes(27));
      await eventually(() => recorder.parts.length === 2);
      await expect(destroyed(writer, new Error('client went away'))).resolves.toThrow('client went away');
      expect(recorder.parts.every((part) => part.signal.aborted)).toBe(true);
      expect(recorder.calls).toEqual(['create', 'part 1 10', 'part 2 10', 'abort upload-1']);
      expect(pool.reserved).toBe(0);
    });

    it('aborts a body that ends short and commits nothing', async () => {
      const recorder = recordingTarget();
      const pool = new PartBufferPool(40, { slabSize: 5 });
      const done = pipeline(Readable.from([randomBytes(25)]), writerFor(recorder.target, pool, 30));
      await expect(done).rejects.toThrow('An S3 upload of 30 bytes ended after 25');
      expect(recorder.calls).toEqual(['create', 'part 1 10', 'part 2 10', 'abort upload-1']);
      expect(pool.reserved).toBe(0);
    });

    it('refuses bytes beyond the announced size and commits nothing', async () => {
      const recorder = recordingTarget();
      const pool = new PartBufferPool(40, { slabSize: 5 });
      const done = pipeline(
        Readable.from([randomBytes(8), randomBytes(8)]),
        writerFor(recorder.target, pool, 8),
      );
      await expect(done).rejects.toThrow('More than the 8 bytes announced were written to an S3 upload');
      expect(recorder.calls).toEqual([]);
      expect(pool.reserved).toBe(0);
    });

    it('stops waiting for buffers when destroyed, and leaves the pool as it was', async () => {
      const pool = new PartBufferPool(10, { slabSize: 5 });
      const held = await pool.reserve(10);
      const recorder = recordingTarget();
      const writer = writerFor(recorder.target, pool, 20);
      writer.write(randomBytes(5));
      await eventually(() => pool.waiters === 1);
      await expect(destroyed(writer, new Error('client went away'))).resolves.toThrow('client went away');
      expect(pool.waiters).toBe(0);
      held.release();
      expect(pool.reserved).toBe(0);
      expect(recorder.calls).toEqual([]);
    });
  });
});
