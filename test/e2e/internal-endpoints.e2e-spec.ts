import { describe, expect, it } from '@jest/globals';
import { sealPayload, signInternalRequest } from '@lfs-depot/auth';
import { INTERNAL_PATHS, INTERNAL_SIGNATURE_HEADER, LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import { json, request, testObject, useTransferStack } from '../helpers/transfer-stack.js';
import { signedInternalHeaders, TEST_INTERNAL_KEYS, TEST_INTERNAL_SECRET } from '../helpers/api-harness.js';

// The API's internal authorize and finalize endpoints refuse every call the proxy did not sign, and each signed call
// more than once; the proxy never lets anyone else reach them. Raw HTTP against the whole stack (local disk).
describe('object transfers through the proxy (local disk storage)', () => {
  const t = useTransferStack([{ path: 'team/main' }]);

  describe('internal endpoints', () => {
    const payload = JSON.stringify({ project: 'team/main', oid: 'a'.repeat(64), size: 1 });

    it('refuses an unsigned authorize call with 403', async () => {
      const answer = await request(`${t().stack.api.url}${INTERNAL_PATHS.authorizeUpload}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
      });
      expect(answer.status).toBe(403);
      expect(json(answer)).toMatchObject({ code: 'FORBIDDEN' });
    });

    it('refuses a wrongly signed authorize or finalize call with 403', async () => {
      for (const internalPath of [INTERNAL_PATHS.authorizeUpload, INTERNAL_PATHS.finalizeUpload]) {
        const signatures = [
          signInternalRequest('not-the-internal-secret-0123456789abcdef', 'POST', internalPath, payload),
          // The right key over another body: a signature does not carry over to a different call.
          signInternalRequest(TEST_INTERNAL_KEYS.request, 'POST', internalPath, '{}'),
          // The client-address key is no call key: each key signs one kind of statement.
          signInternalRequest(TEST_INTERNAL_KEYS.clientAddress, 'POST', internalPath, payload),
          // The format before nonces: a signature without one is refused, whatever key made it.
          signInternalRequest(TEST_INTERNAL_KEYS.request, 'POST', internalPath, payload).replace(
            /,n=[^,]+/,
            '',
          ),
          'garbage',
        ];
        for (const signature of signatures) {
          const answer = await request(`${t().stack.api.url}${internalPath}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', [INTERNAL_SIGNATURE_HEADER]: signature },
            body: payload,
          });
          expect(answer.status).toBe(403);
        }
      }
      // The same call correctly signed gets through the guard (here: to a 401 for the missing credentials).
      const signed = await request(`${t().stack.api.url}${INTERNAL_PATHS.authorizeUpload}`, {
        method: 'POST',
        headers: signedInternalHeaders(INTERNAL_PATHS.authorizeUpload, payload),
        body: payload,
      });
      expect(signed.status).toBe(401);
    });

    it('refuses with 403 a signed call sent a second time (a replay)', async () => {
      const headers = signedInternalHeaders(INTERNAL_PATHS.authorizeUpload, payload);
      const send = (): ReturnType<typeof request> =>
        request(`${t().stack.api.url}${INTERNAL_PATHS.authorizeUpload}`, {
          method: 'POST',
          headers,
          body: payload,
        });

      expect((await send()).status).toBe(401);
      const replayed = await send();

      expect(replayed.status).toBe(403);
      expect(json(replayed)).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('replay') });
    });

    it('refuses an upload ticket sealed with what the proxy holds: only the API can mint one', async () => {
      const object = testObject(10);
      const ticket = { t: 'ticket', p: t().projectIds.get('team/main'), o: object.oid, s: object.size };
      const forged = { ...ticket, k: `objects/${object.oid}`, e: Math.floor(Date.now() / 1000) + 3600 };
      for (const key of [
        TEST_INTERNAL_SECRET,
        TEST_INTERNAL_KEYS.request,
        TEST_INTERNAL_KEYS.clientAddress,
      ]) {
        const body = JSON.stringify({ ticket: sealPayload(key, forged), oid: object.oid, size: object.size });
        const answer = await request(`${t().stack.api.url}${INTERNAL_PATHS.finalizeUpload}`, {
          method: 'POST',
          headers: signedInternalHeaders(INTERNAL_PATHS.finalizeUpload, body),
          body,
        });
        expect(answer.status).toBe(403);
        expect(json(answer)).toMatchObject({ message: 'Invalid or expired upload ticket' });
      }
      expect(await t().objectRows(object.oid)).toBe(0);
    });
  });

  describe('through the public proxy', () => {
    it.each([
      ['POST', INTERNAL_PATHS.authorizeUpload],
      ['POST', INTERNAL_PATHS.finalizeUpload],
      ['POST', INTERNAL_PATHS.authorizeDownload],
      ['POST', '/INTERNAL/uploads/authorize'],
      ['POST', '/%69nternal/uploads/finalize'],
      ['GET', '/internal/'],
    ])('answers %s %s with 404, signed or not, without reaching the API', async (method, internalPath) => {
      const answer = await request(`${t().stack.url}${internalPath}`, {
        method,
        headers: signedInternalHeaders(internalPath, payloadFor(method)),
        ...(method === 'POST' ? { body: payloadFor(method) } : {}),
      });

      expect(answer.status).toBe(404);
      expect(json(answer)).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    });

    it('still serves the LFS routes of a project named internal, also without .git', async () => {
      await t().createProject({ path: 'internal', visibility: 'public' });
      const answer = await request(`${t().stack.url}/internal/info/lfs/objects/batch`, {
        method: 'POST',
        headers: { accept: LFS_MEDIA_TYPE, 'content-type': LFS_MEDIA_TYPE },
        body: JSON.stringify({ operation: 'download', objects: [{ oid: 'b'.repeat(64), size: 1 }] }),
      });
      expect(answer.status).toBe(200);
    });
  });
});

function payloadFor(method: string): string {
  return method === 'POST' ? JSON.stringify({ project: 'team/main', oid: 'a'.repeat(64), size: 1 }) : '';
}
