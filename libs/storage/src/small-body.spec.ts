import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';

import { describe, expect, it } from '@jest/globals';
import { bodyOf, endlessBody, expectedFor, failingBody, rejection, stallingBody } from '@lfs-depot/testing';

import { readSmallBody } from './small-body.js';
import { StorageVerificationError } from './storage.errors.js';

describe(readSmallBody.name, () => {
  it('returns the bytes when a body of several chunks matches its oid and size', async () => {
    const content = randomBytes(10_000);

    const read = await readSmallBody(bodyOf(content, 1500), expectedFor(content));

    expect(read.equals(content)).toBe(true);
  });

  it('returns an empty buffer for the empty object', async () => {
    const read = await readSmallBody(bodyOf(Buffer.alloc(0)), expectedFor(Buffer.alloc(0)));

    expect(read.length).toBe(0);
  });

  it('rejects with hash_mismatch and the digest seen when the bytes hash to another oid', async () => {
    const content = randomBytes(4096);
    const forged = Buffer.from(content);
    forged[7] ^= 0xff;

    const error = await rejection(readSmallBody(bodyOf(forged), expectedFor(content)));

    expect(error).toBeInstanceOf(StorageVerificationError);
    expect(error).toMatchObject({
      reason: 'hash_mismatch',
      actual: { size: 4096, oid: expectedFor(forged).oid },
    });
  });

  it('rejects with size_mismatch when the body ends short of the size', async () => {
    const content = randomBytes(4096);

    const error = await rejection(
      readSmallBody(bodyOf(content), { ...expectedFor(content), size: content.length + 1 }),
    );

    expect(error).toMatchObject({ reason: 'size_mismatch', actual: { size: 4096 } });
  });

  it('rejects with size_mismatch and stops reading as soon as one byte too many arrives', async () => {
    const body = endlessBody();

    const error = await rejection(
      readSmallBody(body, { oid: expectedFor(Buffer.from('x')).oid, size: 1000 }),
    );

    expect(error).toMatchObject({ reason: 'size_mismatch' });
    expect(body.destroyed).toBe(true);
    expect(body.produced).toBeLessThan(2 * 1024 * 1024);
  });

  it('rejects with the body error when the body fails midway', async () => {
    const content = randomBytes(8192);
    const reset = new Error('socket hang up');

    const error = await rejection(
      readSmallBody(failingBody(content.subarray(0, 100), reset), expectedFor(content)),
    );

    expect(error).toBe(reset);
  });

  it('rejects with a premature close when the body is destroyed before its end', async () => {
    const content = randomBytes(8192);
    const body = new PassThrough();
    body.write(content.subarray(0, 100));

    const read = readSmallBody(body, expectedFor(content));
    body.destroy();

    await expect(read).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('rejects with the abort reason and destroys the body when aborted midway', async () => {
    const content = randomBytes(8192);
    const body = stallingBody(content.subarray(0, 100));
    const controller = new AbortController();
    const reason = new Error('client disconnected');
    body.once('data', () => setImmediate(() => controller.abort(reason)));

    const error = await rejection(readSmallBody(body, expectedFor(content), controller.signal));

    expect(error).toBe(reason);
    expect(body.destroyed).toBe(true);
  });

  it('rejects with an AbortError without reading when the signal has already aborted', async () => {
    const content = randomBytes(100);
    const body = bodyOf(content);

    const error = await rejection(readSmallBody(body, expectedFor(content), AbortSignal.abort()));

    expect(error).toMatchObject({ name: 'AbortError' });
    expect(body.destroyed).toBe(true);
  });

  it('keeps a listener for a body error that comes after it settled', async () => {
    const content = randomBytes(100);
    const body = new PassThrough();
    body.end(content);
    await readSmallBody(body, expectedFor(content));

    expect(() => body.emit('error', new Error('late reset'))).not.toThrow();
  });
});
