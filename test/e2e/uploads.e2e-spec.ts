import { randomBytes } from 'node:crypto';
import http from 'node:http';

import { describe, expect, it } from '@jest/globals';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import { objectKey } from '@lfs-depot/storage';

import { TransferTokenService } from '../../apps/api/src/auth/transfer-token.service.js';
import { ApiSecrets } from '../../apps/api/src/core/api-secrets.js';
import { TEST_ADMIN_TOKEN, TEST_API_SECRET, TEST_INTERNAL_SECRET } from '../helpers/api-harness.js';
import {
  alice,
  basic,
  json,
  request,
  testObject,
  useTransferStack,
  truncatedUpload,
  type BatchObject,
} from '../helpers/transfer-stack.js';

// Uploads through the proxy: the batch flow, verification, refusals that store and link nothing, proof of possession.
// Raw HTTP against the whole stack (proxy in front of the API, local disk).
describe('object transfers through the proxy (local disk storage)', () => {
  const t = useTransferStack([
    { path: 'team/main' },
    { path: 'team/errors' },
    { path: 'team/public', visibility: 'public' },
  ]);

  describe('upload', () => {
    it('uploads through the batch flow, verifies, counts and stores the object', async () => {
      const object = testObject(4321);
      const { upload: action, verify } = await t().uploadActions('team/main', object);
      expect(action.href).toBe(t().lfs('team/main', `objects/${object.oid}/${object.size}`));
      expect(action.header?.Authorization).toMatch(/^Basic /);

      const answer = await t().put(action, object.data);
      expect(answer.status).toBe(200);

      const verified = await request(verify.href, {
        method: 'POST',
        headers: { accept: LFS_MEDIA_TYPE, 'content-type': LFS_MEDIA_TYPE, ...verify.header },
        body: JSON.stringify({ oid: object.oid, size: object.size }),
      });
      expect(verified.status).toBe(200);
      expect(verified.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);

      expect((await t().admin.statistics('team/main')).body).toEqual({
        lfs_objects_count: 1,
        lfs_objects_size: 4321,
        quota_bytes: null,
      });
      expect(await t().stack.api.storage.stat(objectKey(object.oid))).toEqual({ size: 4321 });
      expect(await t().tempFiles()).toEqual([]);

      // Uploaded once, the object needs no second upload: the batch answers without actions.
      const again = await t().batch('team/main', 'upload', [object], basic(alice.username, alice.password));
      expect((json(again).objects as BatchObject[])[0]?.actions).toBeUndefined();
    });

    it('refuses a body whose hash does not match with 422 JSON, storing and linking nothing', async () => {
      const object = testObject(1000);
      const { upload: action } = await t().uploadActions('team/errors', object);
      const filesBefore = await t().storedFiles();
      const tablesBefore = await t().tables();

      const answer = await t().put(action, randomBytes(1000));
      expect(answer.status).toBe(422);
      expect(answer.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(json(answer)).toMatchObject({ code: 'OBJECT_MISMATCH', request_id: expect.any(String) });

      await t().settled();
      expect(await t().storedFiles()).toEqual(filesBefore);
      expect(await t().tempFiles()).toEqual([]);
      expect(await t().tables()).toEqual(tablesBefore);
      expect(await t().stack.api.storage.stat(objectKey(object.oid))).toBeUndefined();
    });

    it('stores and links nothing when the client sends fewer bytes than Content-Length and hangs up', async () => {
      const object = testObject(64 * 1024);
      const { upload: action } = await t().uploadActions('team/errors', object);
      const filesBefore = await t().storedFiles();
      const tablesBefore = await t().tables();

      const answer = await truncatedUpload(
        action.href,
        { ...action.header, 'Content-Type': 'application/octet-stream', 'Content-Length': object.size },
        object.data.subarray(0, 10_000),
      );
      expect(answer).not.toMatch(/^HTTP\/1\.1 200/);

      // The proxy notices the disconnect asynchronously: once its handler is over, nothing can be linked any more.
      await t().settled();
      expect(await t().tempFiles()).toEqual([]);
      expect(await t().storedFiles()).toEqual(filesBefore);
      expect(await t().tables()).toEqual(tablesBefore);
    });

    it('refuses a Content-Length different from the size in the URL with 422 before reading the body', async () => {
      const object = testObject(500);
      const { upload: action } = await t().uploadActions('team/errors', object);
      const tablesBefore = await t().tables();
      const filesBefore = await t().storedFiles();

      const longer = Buffer.concat([object.data, randomBytes(10)]);
      const answer = await t().put(action, longer);
      expect(answer.status).toBe(422);
      expect(json(answer)).toMatchObject({ code: 'OBJECT_MISMATCH' });
      await t().settled();
      expect(await t().storedFiles()).toEqual(filesBefore);
      expect(await t().tables()).toEqual(tablesBefore);
    });

    it('refuses a chunked body that runs past the size in the URL with 422, storing nothing', async () => {
      const object = testObject(500);
      const { upload: action } = await t().uploadActions('team/errors', object);
      const tablesBefore = await t().tables();
      const filesBefore = await t().storedFiles();

      // No Content-Length: the body (chunked) is only found too long while it streams.
      const answer = await request(action.href, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', ...action.header },
        pieces: [object.data, randomBytes(100), randomBytes(100)],
        pauseMs: 20,
      });
      expect(answer.status).toBe(422);
      expect(json(answer)).toMatchObject({ code: 'OBJECT_MISMATCH' });
      await t().settled();
      expect(await t().tempFiles()).toEqual([]);
      expect(await t().storedFiles()).toEqual(filesBefore);
      expect(await t().tables()).toEqual(tablesBefore);
    });

    it('makes a project holding only an oid prove possession of bytes stored for another one', async () => {
      const object = testObject(3000);
      await t().upload('team/main', object);
      const { upload: action, verify } = await t().uploadActions('team/errors', object);
      const tablesBefore = await t().tables();

      // The bytes are already stored, so the proxy only hashes the body (dedup) — but it still has to match.
      const wrong = await t().put(action, randomBytes(object.size));
      expect(wrong.status).toBe(422);
      expect(json(wrong)).toMatchObject({ code: 'OBJECT_MISMATCH' });
      const longer = await request(action.href, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', ...action.header },
        pieces: [object.data, randomBytes(1000)],
        pauseMs: 20,
      });
      expect(longer.status).toBe(422);
      await truncatedUpload(
        action.href,
        { ...action.header, 'Content-Type': 'application/octet-stream', 'Content-Length': object.size },
        object.data.subarray(0, 1000),
      );
      await t().settled();
      expect(await t().tables()).toEqual(tablesBefore);
      const notYet = await request(verify.href, {
        method: 'POST',
        headers: { accept: LFS_MEDIA_TYPE, 'content-type': LFS_MEDIA_TYPE, ...verify.header },
        body: JSON.stringify({ oid: object.oid, size: object.size }),
      });
      expect(notYet.status).toBe(404);

      expect((await t().put(action, object.data)).status).toBe(200);
      expect(await t().objectRows(object.oid)).toBe(1);
      expect((await t().stack.api.storage.stat(objectKey(object.oid)))?.size).toBe(object.size);
    });

    it('uploads an empty object', async () => {
      const empty = testObject(0);
      const { upload: action } = await t().uploadActions('team/public', empty);
      expect((await t().put(action, Buffer.alloc(0))).status).toBe(200);
      const download = await fetch(t().lfs('team/public', `objects/${empty.oid}`));
      expect(download.status).toBe(200);
      expect(download.headers.get('content-length')).toBe('0');
      expect((await download.arrayBuffer()).byteLength).toBe(0);
    });

    it('answers an Expect: 100-continue upload without credentials with 401 before the body is sent', async () => {
      const object = testObject(100_000);
      const answer = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
        let continued = false;
        const req = http.request(t().lfs('team/main', `objects/${object.oid}/${object.size}`), {
          method: 'PUT',
          agent: false,
          headers: { expect: '100-continue', 'content-length': object.size },
        });
        req.on('continue', () => {
          continued = true;
          req.end(object.data);
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, continued }));
        });
        req.on('error', reject);
        req.flushHeaders();
      });
      expect(answer).toEqual({ status: 401, continued: false });
    });

    it('answers 401 with LFS-Authenticate to an upload into a private project without credentials', async () => {
      const object = testObject(100);
      const answer = await request(t().lfs('team/main', `objects/${object.oid}/${object.size}`), {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: object.data,
      });
      expect(answer.status).toBe(401);
      expect(answer.headers['lfs-authenticate']).toMatch(/^Basic realm=/);
      expect(answer.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(json(answer)).toMatchObject({ code: 'UNAUTHENTICATED' });

      const refusedBatch = await t().batch('team/main', 'upload', [object]);
      expect(refusedBatch.status).toBe(401);
      expect(refusedBatch.headers['lfs-authenticate']).toMatch(/^Basic realm=/);
      await t().settled();
      expect(await t().objectRows(object.oid)).toBe(0);
    });

    it('completes an upload whose transfer token expires while the body is still arriving', async () => {
      const object = testObject(30 * 1024);
      const tokens = new TransferTokenService(
        new ApiSecrets(TEST_ADMIN_TOKEN, TEST_INTERNAL_SECRET, TEST_API_SECRET),
      );
      const principal = {
        userId: t().aliceId,
        username: alice.username,
        admin: false,
        tokenProjectId: null,
        maxRole: null,
      };
      // Whole seconds: expiry is at most 2 s away, while the body below takes about 3 s to send.
      const token = tokens.issue(
        principal,
        { id: t().projectIds.get('team/main') as string, path: 'team/main' },
        'write',
        2,
      );
      const authorization = basic(alice.username, token);
      const pieces = Array.from({ length: 6 }, (_, index) =>
        object.data.subarray(index * 5120, (index + 1) * 5120),
      );

      const started = Date.now();
      const answer = await request(t().lfs('team/main', `objects/${object.oid}/${object.size}`), {
        method: 'PUT',
        headers: { authorization, 'content-type': 'application/octet-stream', 'content-length': object.size },
        pieces,
        pauseMs: 500,
      });
      expect(Date.now() - started).toBeGreaterThan(2500);
      expect(answer.status).toBe(200);
      // The same credential no longer starts anything: it really expired during the transfer.
      expect(tokens.verify(token)).toBeUndefined();
      const late = await t().batch('team/main', 'upload', [object], authorization);
      expect(late.status).toBe(401);
      expect(await t().stack.api.storage.stat(objectKey(object.oid))).toEqual({ size: object.size });
    });
  });
});
