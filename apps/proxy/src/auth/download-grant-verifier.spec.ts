import { createHash } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';
import {
  deriveKey,
  encodeTransferToken,
  formatBasicAuthorization,
  signDownloadGrants,
  transferSigningKeys,
} from '@lfs-depot/auth';
import type { DownloadCheckAnswer, DownloadCheckRequest } from '@lfs-depot/contracts';

import { DownloadGrantVerifier, GRANT_BELIEVED_MS } from './download-grant-verifier.js';
import { TransferTokenVerifier } from './transfer-token-verifier.js';

const macKey = deriveKey('api-secret-0123456789-0123456789-abcdef', 'transfer-token');
const api = transferSigningKeys(deriveKey('api-secret-0123456789-0123456789-abcdef', 'transfer-signing'));
const start = Date.UTC(2026, 11, 1, 12, 0, 0);
const expiresAt = start / 1000 + 3600;
const authorization = formatBasicAuthorization(
  'alice',
  encodeTransferToken(
    { userId: '42', projectId: '7', role: 'read', expiresAt },
    { username: 'alice', projectPath: 'team/main' },
    { macKey, signingKey: api.privateKey },
  ),
);
const objects = [0, 1, 2].map((i) => ({
  oid: createHash('sha256').update(`object ${i}`).digest('hex'),
  size: 100 + i,
}));
const grants = signDownloadGrants(
  { projectPath: 'team/main', userId: '42', issuedAt: start, expiresAt },
  objects,
  api.privateKey,
);

/** A verifier whose API answers `answer` (or throws it) to every re-check, and counts them; the clock is `now`. */
function setup(answer: DownloadCheckAnswer | Error = { links_changed_at: start - 1 }): {
  grants: DownloadGrantVerifier;
  checks: DownloadCheckRequest[];
  clock: { now: number };
} {
  const checks: DownloadCheckRequest[] = [];
  const clock = { now: start + 10 };
  const tokens = new TransferTokenVerifier(() =>
    Promise.resolve({ public_key: api.publicKey.toString('base64url'), max_object_size: 1000 }),
  );
  const verifier = new DownloadGrantVerifier(
    tokens,
    (request) => {
      checks.push(request);
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    { recheckMs: 1000, now: () => clock.now },
  );
  return { grants: verifier, checks, clock };
}

function download(index: number, overrides: Partial<Parameters<DownloadGrantVerifier['decide']>[0]> = {}) {
  return {
    project: 'team/main',
    oid: objects[index]?.oid ?? '',
    grant: grants[index],
    authorization,
    client: '192.0.2.1',
    ...overrides,
  };
}

describe(DownloadGrantVerifier.name, () => {
  describe('decide', () => {
    it('grants each object of the batch its size, re-checking the token once per interval', async () => {
      const { grants: verifier, checks, clock } = setup();
      for (const index of [0, 1, 2]) {
        expect(await verifier.decide(download(index))).toEqual({
          kind: 'granted',
          size: 100 + index,
          user: 'alice',
        });
      }
      expect(checks).toEqual([{ project: 'team/main', authorization, client: '192.0.2.1' }]);
      clock.now += 1000;
      await verifier.decide(download(0));
      expect(checks).toHaveLength(2);
    });

    it('asks the API when there is no grant, no transfer token, or the token is for another project', async () => {
      const { grants: verifier, checks } = setup();
      expect(await verifier.decide(download(0, { grant: undefined }))).toEqual({ kind: 'ask' });
      expect(
        await verifier.decide(
          download(0, { authorization: formatBasicAuthorization('alice', 'a password') }),
        ),
      ).toEqual({ kind: 'ask' });
      expect(await verifier.decide(download(0, { project: 'team/other' }))).toEqual({ kind: 'ask' });
      expect(checks).toHaveLength(0);
    });

    it('asks the API for a grant made GRANT_BELIEVED_MS ago or more, whatever the re-check says', async () => {
      const { grants: verifier, clock } = setup();
      expect(await verifier.decide(download(0))).toMatchObject({ kind: 'granted' });

      clock.now = start + GRANT_BELIEVED_MS;

      expect(await verifier.decide(download(0))).toEqual({ kind: 'ask' });
    });

    it('asks the API when a link may have been removed since the grant was made', async () => {
      const { grants: verifier } = setup({ links_changed_at: start });
      expect(await verifier.decide(download(1))).toEqual({ kind: 'ask' });
    });

    it('refuses a proof of another object, a forged size, or a malformed grant, before asking the API', async () => {
      const { grants: verifier, checks } = setup();
      expect(await verifier.decide(download(0, { grant: grants[1] }))).toMatchObject({ kind: 'refused' });
      const forged = (grants[0] ?? '').split('.');
      forged[6] = '999';
      expect(await verifier.decide(download(0, { grant: forged.join('.') }))).toMatchObject({
        kind: 'refused',
      });
      expect(await verifier.decide(download(0, { grant: 'nonsense' }))).toMatchObject({ kind: 'refused' });
      expect(checks).toHaveLength(0);
    });

    it("passes on the API's refusal of the token and asks again next time", async () => {
      const refusal = new Error('API answered 401');
      const { grants: verifier, checks } = setup(refusal);
      await expect(verifier.decide(download(0))).rejects.toBe(refusal);
      await expect(verifier.decide(download(0))).rejects.toBe(refusal);
      expect(checks).toHaveLength(2);
    });
  });
});
