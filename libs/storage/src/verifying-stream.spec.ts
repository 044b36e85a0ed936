import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { describe, expect, it } from '@jest/globals';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';

import type { ExpectedObject } from './object-storage.js';
import { StorageVerificationError } from './storage.errors.js';
import { VerifyingStream } from './verifying-stream.js';

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function expectedFor(content: Buffer): ExpectedObject {
  return { oid: sha256(content), size: content.length };
}

function chunked(content: Buffer, chunkSize = 1000): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < content.length; offset += chunkSize) {
    chunks.push(content.subarray(offset, offset + chunkSize));
  }
  return Readable.from(chunks);
}

/** Pipes `body` through a verifier and resolves with what came out, or rejects with the pipeline's error. */
async function verify(
  body: Readable,
  expected: ExpectedObject,
): Promise<{ output: Buffer; verifier: VerifyingStream }> {
  const verifier = new VerifyingStream(expected);
  const chunks: Buffer[] = [];
  const collector = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await pipeline(body, verifier, collector);
  return { output: Buffer.concat(chunks), verifier };
}

async function verificationError(promise: Promise<unknown>): Promise<StorageVerificationError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StorageVerificationError);
  return error as StorageVerificationError;
}

describe(VerifyingStream.name, () => {
  describe('constructor', () => {
    it('rejects when the expected oid is not lowercase hex sha256', () => {
      expect(() => new VerifyingStream({ oid: 'A'.repeat(64), size: 1 })).toThrow(TypeError);
    });

    it.each([-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN])(
      'rejects when the expected size is %p',
      (size) => {
        expect(() => new VerifyingStream({ oid: 'a'.repeat(64), size })).toThrow(RangeError);
      },
    );
  });

  describe('write', () => {
    it('returns the bytes unchanged when size and oid match', async () => {
      const content = randomBytes(10_000);

      const { output, verifier } = await verify(chunked(content), expectedFor(content));

      expect(output.equals(content)).toBe(true);
      expect(verifier.isVerified).toBe(true);
      expect(verifier.bytesReceived).toBe(content.length);
    });

    it('rejects as soon as more bytes than the size arrive, before the body ends', async () => {
      const content = randomBytes(100);
      const verifier = new VerifyingStream({ oid: sha256(content), size: 99 });
      const failed = new Promise<Error>((resolve) => verifier.once('error', resolve));
      verifier.resume();

      verifier.write(content.subarray(0, 50));
      verifier.write(content.subarray(50));
      const error = await failed;

      expect(verifier.writableEnded).toBe(false);
      expect(error).toBeInstanceOf(StorageVerificationError);
      expect(error).toMatchObject({ reason: 'size_mismatch', actual: { size: 100 }, expected: { size: 99 } });
      expect((error as StorageVerificationError).actual.oid).toBeUndefined();
    });

    it('returns false when the reader falls behind, holding back the writer', async () => {
      const content = randomBytes(64 * 1024);
      const verifier = new VerifyingStream(expectedFor(content), { highWaterMark: 1024 });

      const accepted = verifier.write(content.subarray(0, 32 * 1024));
      verifier.write(content.subarray(32 * 1024));
      const pending = verifier.writableLength;
      verifier.end();
      const chunks: Buffer[] = [];
      for await (const chunk of verifier) {
        chunks.push(chunk as Buffer);
      }

      expect(accepted).toBe(false);
      expect(pending).toBe(64 * 1024);
      expect(Buffer.concat(chunks).equals(content)).toBe(true);
    });
  });

  describe('end', () => {
    it('rejects when fewer bytes than the size arrived', async () => {
      const content = randomBytes(1000);

      const error = await verificationError(verify(chunked(content), { oid: sha256(content), size: 1001 }));

      expect(error.reason).toBe('size_mismatch');
      expect(error.actual).toEqual({ size: 1000, oid: sha256(content) });
      expect(error.expected).toEqual({ oid: sha256(content), size: 1001 });
      expect(error.message).toBe(`Upload of ${sha256(content)} ended after 1000 of the announced 1001 bytes`);
    });

    it('rejects when the content hashes to another oid', async () => {
      const content = randomBytes(1000);
      const announced = sha256(randomBytes(1000));

      const error = await verificationError(verify(chunked(content), { oid: announced, size: 1000 }));

      expect(error.reason).toBe('hash_mismatch');
      expect(error.actual).toEqual({ size: 1000, oid: sha256(content) });
      expect(error).toBeInstanceOf(DomainError);
      expect(error.code).toBe(ErrorCode.OBJECT_MISMATCH);
    });

    it('returns nothing and succeeds when the empty object is expected', async () => {
      const { output, verifier } = await verify(Readable.from([]), expectedFor(Buffer.alloc(0)));

      expect(output.length).toBe(0);
      expect(verifier.isVerified).toBe(true);
    });
  });

  describe('abortOn', () => {
    it('rejects with the abort reason when the signal aborts before the end', async () => {
      const content = randomBytes(100);
      const verifier = new VerifyingStream(expectedFor(content));
      const controller = new AbortController();
      verifier.abortOn(controller.signal);
      const failed = new Promise<Error>((resolve) => verifier.once('error', resolve));
      verifier.write(content.subarray(0, 10));

      const reason = new Error('client went away');
      controller.abort(reason);

      await expect(failed).resolves.toBe(reason);
      expect(verifier.destroyed).toBe(true);
    });

    it('rejects with an AbortError when the signal had already aborted', () => {
      const verifier = new VerifyingStream(expectedFor(Buffer.alloc(0)));
      verifier.on('error', () => undefined);

      verifier.abortOn(AbortSignal.abort('gone'));

      expect(verifier.errored).toMatchObject({ name: 'AbortError' });
    });

    it('returns without effect when the signal aborts after verification', async () => {
      const content = randomBytes(100);
      const controller = new AbortController();
      const verifier = new VerifyingStream(expectedFor(content));
      verifier.abortOn(controller.signal);

      await pipeline(Readable.from([content]), verifier, new Writable({ write: (_c, _e, cb) => cb() }));
      controller.abort();

      expect(verifier.isVerified).toBe(true);
      expect(verifier.errored).toBeNull();
    });
  });
});
