import { describe, expect, it } from '@jest/globals';
import { signInternalRequest } from '@lfs-depot/auth';
import { INTERNAL_PATHS, INTERNAL_SIGNATURE_HEADER } from '@lfs-depot/contracts';

import { signedInternalHeaders, TEST_INTERNAL_SECRET } from '../helpers/api-harness.js';
import { json, request, useTransferStack } from '../helpers/transfer-stack.js';

// The API's internal authorize and finalize endpoints refuse every call the proxy did not sign.
// Raw HTTP against the whole stack (proxy in front of the API, local disk).
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
          // The right secret over another body: a signature does not carry over to a different call.
          signInternalRequest(TEST_INTERNAL_SECRET, 'POST', internalPath, '{}'),
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
  });
});
