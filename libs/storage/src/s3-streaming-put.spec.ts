import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { bodyOf, eventually, expectedFor, rejection } from '@lfs-depot/testing';

import { S3StreamingPut, type StreamingPutTarget } from './s3-streaming-put.js';
import { StorageVerificationError } from './storage.errors.js';
import { VerifyingStream } from './verifying-stream.js';

/** A server that reads each PutObject body as it comes and answers once it got `length` bytes and the end. */
function fakeServer(
  options: { failFirstAttemptsBeforeReading?: number; failAfterFirstChunk?: boolean } = {},
) {
  let failuresLeft = options.failFirstAttemptsBeforeReading ?? 0;
  const server = {
    attempts: 0,
    received: 0,
    completeBodies: 0,
    published: 0,
    discarded: 0,
    target: {
      putObject: async (body: Readable, length: number, signal: AbortSignal) => {
        server.attempts += 1;
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        let received = 0;
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(signal.reason as Error);
          signal.addEventListener('abort', onAbort, { once: true });
          body.on('data', (chunk: Buffer) => {
            received += chunk.length;
            server.received = received;
            if (options.failAfterFirstChunk) {
              // A connection that broke: nothing more arrives.
              body.removeAllListeners('data').removeAllListeners('end').resume();
              reject(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }));
            }
          });
          body.once('end', () => {
            signal.removeEventListener('abort', onAbort);
            if (received === length) {
              server.completeBodies += 1;
              resolve();
            } else {
              reject(new Error(`IncompleteBody: ${received} of ${length}`));
            }
          });
        });
      },
      publish: () => {
        server.published += 1;
        return Promise.resolve();
      },
      discard: () => {
        server.discarded += 1;
        return Promise.resolve();
      },
    } satisfies StreamingPutTarget,
  };
  return server;
}

const CHUNK = 64 * 1024;

describe(S3StreamingPut.name, () => {
  it('sends every byte as one request and publishes only after the verified end', async () => {
    const content = randomBytes(10 * CHUNK + 3);
    const server = fakeServer();
    const writer = new S3StreamingPut({ target: server.target, size: content.length });
    await pipeline(bodyOf(content, CHUNK), new VerifyingStream(expectedFor(content)), writer);
    expect(server).toMatchObject({ attempts: 1, received: content.length, completeBodies: 1, published: 1 });
    expect(server.discarded).toBe(0);
    expect(writer.isCommitted).toBe(true);
  });

  it('holds back the chunk that completes the body until verification passed', async () => {
    const content = randomBytes(10 * CHUNK + 3);
    const server = fakeServer();
    const writer = new S3StreamingPut({ target: server.target, size: content.length });
    // Every byte but the end: the writer has the last chunk and must not send it before end().
    for (let offset = 0; offset < content.length; offset += CHUNK) {
      writer.write(content.subarray(offset, offset + CHUNK));
    }
    await eventually(() => server.received === content.length - 3);
    expect(server.completeBodies).toBe(0);
    writer.end();
    await new Promise((resolve) => writer.once('finish', resolve));
    expect(server).toMatchObject({ received: content.length, completeBodies: 1, published: 1 });
  });

  it('cuts the request short of its length and discards it when the bytes do not verify', async () => {
    for (const where of ['first', 'last'] as const) {
      const content = randomBytes(10 * CHUNK + 3);
      const wrong = Buffer.from(content);
      wrong[where === 'first' ? 0 : wrong.length - 1] ^= 1;
      const server = fakeServer();
      const writer = new S3StreamingPut({ target: server.target, size: content.length });
      const failure = await rejection(
        pipeline(bodyOf(wrong, CHUNK), new VerifyingStream(expectedFor(content)), writer),
      );
      expect(failure).toBeInstanceOf(StorageVerificationError);
      await new Promise((resolve) => (writer.closed ? resolve(undefined) : writer.once('close', resolve)));
      expect({ where, ...server }).toMatchObject({ where, completeBodies: 0, published: 0, discarded: 1 });
      expect(server.received).toBeLessThan(content.length);
      expect(writer.isCommitted).toBe(false);
    }
  });

  it('discards the request when destroyed with every byte but the end written', async () => {
    const content = randomBytes(4 * CHUNK);
    const server = fakeServer();
    const writer = new S3StreamingPut({ target: server.target, size: content.length });
    for (let offset = 0; offset < content.length; offset += CHUNK) {
      writer.write(content.subarray(offset, offset + CHUNK));
    }
    await eventually(() => server.received === 3 * CHUNK);
    writer.on('error', () => undefined);
    writer.destroy(new Error('client went away'));
    await new Promise((resolve) => writer.once('close', resolve));
    expect(server).toMatchObject({ received: 3 * CHUNK, completeBodies: 0, published: 0, discarded: 1 });
  });

  it('sends the request again when it failed before taking a byte, and never after', async () => {
    const content = randomBytes(5 * CHUNK);
    const retried = fakeServer({ failFirstAttemptsBeforeReading: 2 });
    await pipeline(
      bodyOf(content, CHUNK),
      new VerifyingStream(expectedFor(content)),
      new S3StreamingPut({ target: retried.target, size: content.length }),
    );
    expect(retried).toMatchObject({ attempts: 3, completeBodies: 1, published: 1 });

    const tooMany = fakeServer({ failFirstAttemptsBeforeReading: 3 });
    const writer = new S3StreamingPut({ target: tooMany.target, size: content.length });
    const failure = await rejection(
      pipeline(bodyOf(content, CHUNK), new VerifyingStream(expectedFor(content)), writer),
    );
    expect(failure).toMatchObject({ code: 'ECONNRESET' });
    expect(tooMany).toMatchObject({ attempts: 3, completeBodies: 0, published: 0 });

    const afterBytes = fakeServer({ failAfterFirstChunk: true });
    const cut = await rejection(
      pipeline(
        bodyOf(content, CHUNK),
        new VerifyingStream(expectedFor(content)),
        new S3StreamingPut({ target: afterBytes.target, size: content.length }),
      ),
    );
    expect(cut).toMatchObject({ code: 'ECONNRESET' });
    expect(afterBytes).toMatchObject({ attempts: 1, completeBodies: 0, published: 0, discarded: 1 });
  });

  it('refuses more bytes than announced', async () => {
    const server = fakeServer();
    const writer = new S3StreamingPut({ target: server.target, size: CHUNK });
    const failure = await rejection(pipeline(bodyOf(randomBytes(2 * CHUNK), CHUNK), writer));
    expect(failure).toBeInstanceOf(RangeError);
    expect(server).toMatchObject({ completeBodies: 0, published: 0 });
  });
});
