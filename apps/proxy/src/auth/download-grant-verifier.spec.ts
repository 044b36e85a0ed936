import { createHash } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';
import {
  deriveKey,
  encodeTransferToken,
  signDownloadGrants,
  transferSigningKeys,
  transferTokenPayload,
} from '@lfs-depot/auth';
import type { DownloadCheckAnswer, DownloadCheckRequest } from '@lfs-depot/contracts';

import { DownloadGrantVerifier, GRANT_BELIEVED_MS } from './download-grant-verifier.js';
import { TransferTokenVerifier } from './transfer-token-verifier.js';

const macKey = deriveKey('api-secret-0123456789-0123456789-abcdef', 'transfer-token');
const api = transferSigningKeys(deriveKey('api-secret-0123456789-0123456789-abcdef', 'transfer-signing'));
const start = Date.UTC(2026, 11, 1, 12, 0, 0);
const expiresAt = start / 1000 + 3600;
/** The claims part of a read token of team/main for this user, as a grant carries it. */
function credentialOf(userId: string, username: string): string {
  return (
    transferTokenPayload(
      encodeTransferToken(
        { userId, projectId: '7', role: 'read', expiresAt },
        { username, projectPath: 'team/main' },
        { macKey, signingKey: api.privateKey },
      ),
    ) ?? ''
  );
}
const credential = credentialOf('42', 'alice');
const objects = [0, 1, 2].map((i) => ({
  oid: createHash('sha256').update(`object ${i}`).digest('hex'),
  size: 100 + i,
}));
const grants = signDownloadGrants(
  { projectPath: 'team/main', credential, issuedAt: start, expiresAt },
  objects,
  api.privateKey,
);

/** A verifier whose API answers `answer` (or throws it) to every re-check, and counts them; the clock is `now`. */
function setup(
  answer: (DownloadCheckAnswer & { user?: string }) | Error = { links_changed_at: start - 1, user: 'alice' },
  /** null: the API cannot give its key. */
  publicKey: Buffer | null = api.publicKey,
): {
  grants: DownloadGrantVerifier;
  checks: DownloadCheckRequest[];
  clock: { now: number };
} {
  const checks: DownloadCheckRequest[] = [];
  const clock = { now: start + 10 };
  const tokens = new TransferTokenVerifier(() =>
    Promise.resolve(
      publicKey === null ? undefined : { public_key: publicKey.toString('base64url'), max_object_size: 1000 },
    ),
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
    client: '192.0.2.1',
    ...overrides,
  };
}

describe(DownloadGrantVerifier.name, () => {
  describe('decide', () => {
    it('grants each object of the batch its size, re-checking the credential once per interval', async () => {
      const { grants: verifier, checks, clock } = setup();
      for (const index of [0, 1, 2]) {
        expect(await verifier.decide(download(index))).toEqual({
          kind: 'granted',
          size: 100 + index,
          user: 'alice',
        });
      }
      // The API is sent the grant and the object it was used for, from which it checks both again.
      expect(checks).toEqual([
        { project: 'team/main', oid: objects[0]?.oid, grant: grants[0], client: '192.0.2.1' },
      ]);
      clock.now += 1000;
      await verifier.decide(download(0));
      expect(checks).toHaveLength(2);
    });

    it('asks the API when there is no grant, a grant of the older format, or no key to check it with', async () => {
      const { grants: verifier, checks } = setup();
      expect(await verifier.decide(download(0, { grant: undefined }))).toEqual({ kind: 'ask' });
      // What an API of before this proxy made: a version 1 grant beside a transfer token, which the API checks.
      expect(
        await verifier.decide(download(0, { grant: `1.${start}.${expiresAt}.3.${'A'.repeat(86)}.0.100.` })),
      ).toEqual({
        kind: 'ask',
      });
      expect(checks).toHaveLength(0);
      const keyless = setup(undefined, null);
      expect(await keyless.grants.decide(download(0))).toEqual({ kind: 'ask' });
      expect(keyless.checks).toHaveLength(0);
    });

    it('asks the API for an expired grant', async () => {
      const { grants: verifier, clock, checks } = setup();
      clock.now = expiresAt * 1000;
      expect(await verifier.decide(download(0))).toEqual({ kind: 'ask' });
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

    it('refuses a proof of another object or project, a forged size or credential, or a malformed grant, before asking the API', async () => {
      const { grants: verifier, checks } = setup();
      expect(await verifier.decide(download(0, { grant: grants[1] }))).toMatchObject({ kind: 'refused' });
      expect(await verifier.decide(download(0, { project: 'team/other' }))).toMatchObject({
        kind: 'refused',
      });
      const forged = (grants[0] ?? '').split('.');
      forged[8] = '999';
      expect(await verifier.decide(download(0, { grant: forged.join('.') }))).toMatchObject({
        kind: 'refused',
      });
      const otherCredential = (grants[0] ?? '').split('.');
      otherCredential[4] = credentialOf('43', 'mallory');
      expect(await verifier.decide(download(0, { grant: otherCredential.join('.') }))).toMatchObject({
        kind: 'refused',
      });
      expect(await verifier.decide(download(0, { grant: 'nonsense' }))).toMatchObject({ kind: 'refused' });
      expect(checks).toHaveLength(0);
    });

    it('asks the API, and learns the key again, when a key older than 30 s does not verify a grant', async () => {
      const other = transferSigningKeys(
        deriveKey('another-api-secret-0123456789-0123456789', 'transfer-signing'),
      );
      const keys = [other.publicKey, api.publicKey];
      let fetched = 0;
      const clock = { now: start + 10 };
      const tokens = new TransferTokenVerifier(() => {
        const key = keys[Math.min(fetched, keys.length - 1)] ?? api.publicKey;
        fetched += 1;
        return Promise.resolve({ public_key: key.toString('base64url'), max_object_size: 1000 });
      });
      const verifier = new DownloadGrantVerifier(
        tokens,
        () => Promise.resolve({ links_changed_at: 0, user: 'alice' }),
        { now: () => clock.now },
      );
      // A key learnt moments ago that does not verify: the grant proves nothing.
      expect(await verifier.decide(download(0))).toMatchObject({ kind: 'refused' });
      clock.now = start + 31_000;
      const [fresh] = signDownloadGrants(
        { projectPath: 'team/main', credential, issuedAt: clock.now - 5, expiresAt },
        objects,
        api.privateKey,
      );
      // API_SECRET may have changed since the key was learnt: the API decides this one, the key is asked for again.
      expect(await verifier.decide(download(0, { grant: fresh }))).toEqual({ kind: 'ask' });
      expect(await verifier.decide(download(0, { grant: fresh }))).toMatchObject({ kind: 'granted' });
      expect(fetched).toBe(2);
    });

    it("counts a download against the credential's user id when the API names no user", async () => {
      const { grants: verifier } = setup({ links_changed_at: start - 1 });
      expect(await verifier.decide(download(0))).toEqual({ kind: 'granted', size: 100, user: '42' });
    });

    it("passes on the API's refusal of the credential and asks again next time", async () => {
      const refusal = new Error('API answered 401');
      const { grants: verifier, checks } = setup(refusal);
      await expect(verifier.decide(download(0))).rejects.toBe(refusal);
      await expect(verifier.decide(download(0))).rejects.toBe(refusal);
      expect(checks).toHaveLength(2);
    });
  });
});
