import { rm, truncate } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

import { beforeAll, describe, expect, it } from '@jest/globals';
import { objectKey } from '@lfs-depot/storage';

import {
  alice,
  basic,
  bob,
  json,
  request,
  testObject,
  useTransferStack,
  type BatchAction,
  type BatchObject,
} from '../helpers/transfer-stack.js';

// Downloads through the proxy: bytes, ranges, proof of possession, lost or shortened bytes, anonymous access to
// public projects.
// Raw HTTP against the whole stack (proxy in front of the API, local disk).
describe('object transfers through the proxy (local disk storage)', () => {
  const t = useTransferStack([
    { path: 'team/other' },
    { path: 'team/main' },
    { path: 'team/public', visibility: 'public' },
  ]);

  describe('download', () => {
    const object = testObject(5000);
    let download: BatchAction;

    beforeAll(async () => {
      await t().upload('team/other', object);
      const answer = await t().batch(
        'team/other',
        'download',
        [object],
        basic(alice.username, alice.password),
      );
      const action = (json(answer).objects as BatchObject[])[0]?.actions?.download;
      if (!action) {
        throw new Error(`no download action: ${answer.body}`);
      }
      download = action;
    });

    it('streams the bytes with their length', async () => {
      const answer = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; data: Buffer }>(
        (resolve, reject) => {
          http
            .get(download.href, { headers: download.header, agent: false }, (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (chunk: Buffer) => chunks.push(chunk));
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, headers: res.headers, data: Buffer.concat(chunks) }),
              );
            })
            .on('error', reject);
        },
      );
      expect(answer.status).toBe(200);
      expect(answer.headers['content-length']).toBe('5000');
      expect(answer.headers['content-type']).toBe('application/octet-stream');
      // A browser must never render an object as HTML or script (someone may have uploaded exactly that).
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.data.equals(object.data)).toBe(true);
    });

    it('honours a byte range with 206 and Content-Range', async () => {
      const answer = await request(download.href, {
        method: 'GET',
        headers: { ...download.header, range: 'bytes=10-19' },
      });
      expect(answer.status).toBe(206);
      expect(answer.headers['content-range']).toBe('bytes 10-19/5000');
      expect(answer.headers['content-length']).toBe('10');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      const bytes = await fetch(download.href, { headers: { ...download.header, range: 'bytes=10-19' } });
      expect(Buffer.from(await bytes.arrayBuffer()).equals(object.data.subarray(10, 20))).toBe(true);
    });

    it('answers 416 to a range past the end', async () => {
      const answer = await request(download.href, {
        method: 'GET',
        headers: { ...download.header, range: 'bytes=6000-7000' },
      });
      expect(answer.status).toBe(416);
      expect(answer.headers['content-range']).toBe('bytes */5000');
    });

    it('answers 404 for an object linked only to another project (proof of possession)', async () => {
      const answer = await request(t().lfs('team/main', `objects/${object.oid}`), {
        method: 'GET',
        headers: { authorization: basic(alice.username, alice.password) },
      });
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(json(answer)).toMatchObject({ code: 'OBJECT_NOT_FOUND' });
      const listed = await t().batch(
        'team/main',
        'download',
        [object],
        basic(alice.username, alice.password),
      );
      expect((json(listed).objects as BatchObject[])[0]?.error?.code).toBe(404);
    });

    it('answers 404 JSON, not 500, when a linked object has lost its bytes', async () => {
      const lost = testObject(300);
      await t().upload('team/other', lost);
      await rm(path.join(t().storageRoot, ...objectKey(lost.oid).split('/')));
      const answer = await request(t().lfs('team/other', `objects/${lost.oid}`), {
        method: 'GET',
        headers: { authorization: basic(alice.username, alice.password) },
      });
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(json(answer)).toMatchObject({ code: 'OBJECT_NOT_FOUND' });
    });

    it('cuts the connection instead of hanging when the stored bytes are shorter than recorded', async () => {
      const shortened = testObject(4000);
      await t().upload('team/other', shortened);
      await truncate(path.join(t().storageRoot, ...objectKey(shortened.oid).split('/')), 1000);
      const outcome = await new Promise<string>((resolve) => {
        http
          .get(
            t().lfs('team/other', `objects/${shortened.oid}`),
            {
              headers: { authorization: basic(alice.username, alice.password) },
              agent: false,
            },
            (res) => {
              res.on('data', () => undefined);
              res.on('end', () => resolve('ended'));
              res.on('error', () => resolve('cut'));
              res.on('aborted', () => resolve('cut'));
            },
          )
          .on('error', () => resolve('cut'));
      });
      expect(outcome).toBe('cut');
    });

    it('serves a public project anonymously', async () => {
      const open = testObject(777);
      await t().upload('team/public', open);
      const listed = await t().batch('team/public', 'download', [open]);
      expect(listed.status).toBe(200);
      const action = (json(listed).objects as BatchObject[])[0]?.actions?.download;
      expect(action?.header).toBeUndefined();
      const bytes = await fetch(action?.href ?? '');
      expect(bytes.status).toBe(200);
      expect(Buffer.from(await bytes.arrayBuffer()).equals(open.data)).toBe(true);
    });

    it('refuses a user who is not a member of the private project', async () => {
      const answer = await request(download.href, {
        method: 'GET',
        headers: { authorization: basic(bob.username, bob.password) },
      });
      expect([403, 404]).toContain(answer.status);
      expect(json(answer)).toMatchObject({ request_id: expect.any(String) });
    });
  });
});
