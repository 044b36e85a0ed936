import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { INTERNAL_PATHS } from '@lfs-depot/contracts';

import type { ApiHarness } from '../helpers/api-harness.js';
import {
  describeWithSecondInstance,
  signedInternalHeaders,
  startApiHarness,
} from '../helpers/api-harness.js';

const PAYLOAD = JSON.stringify({ project: 'team/main', oid: 'a'.repeat(64), size: 1 });

/** Sends one internal authorize call with exactly these signed headers; returns the status. */
async function authorize(api: ApiHarness, headers: Record<string, string>): Promise<number> {
  const answer = await fetch(`${api.url}${INTERNAL_PATHS.authorizeUpload}`, {
    method: 'POST',
    headers,
    body: PAYLOAD,
  });
  await answer.arrayBuffer();
  return answer.status;
}

// A signed internal call captured on the wire between proxy and API must not be usable again, on any instance.
describe('signed internal calls are accepted once', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApiHarness();
  });

  afterAll(async () => {
    await api.close();
  });

  it('refuses a replay with 403 and still accepts a freshly signed call', async () => {
    const headers = signedInternalHeaders(INTERNAL_PATHS.authorizeUpload, PAYLOAD);

    // 401: through the signature check, to the missing credentials.
    expect(await authorize(api, headers)).toBe(401);
    expect(await authorize(api, headers)).toBe(403);
    expect(await authorize(api, signedInternalHeaders(INTERNAL_PATHS.authorizeUpload, PAYLOAD))).toBe(401);
  });

  describeWithSecondInstance(
    () => api,
    (second) => {
      it('refuses on either instance a call the other one accepted', async () => {
        const first = signedInternalHeaders(INTERNAL_PATHS.authorizeUpload, PAYLOAD);
        const other = signedInternalHeaders(INTERNAL_PATHS.authorizeUpload, PAYLOAD);

        expect(await authorize(api, first)).toBe(401);
        expect(await authorize(second(), first)).toBe(403);
        expect(await authorize(second(), other)).toBe(401);
        expect(await authorize(api, other)).toBe(403);
      });
    },
  );
});
