import { describe, expect, it } from '@jest/globals';
import {
  deriveKey,
  encodeTransferToken,
  formatBasicAuthorization,
  transferSigningKeys,
} from '@lfs-depot/auth';
import type { TransferKeyAnswer } from '@lfs-depot/contracts';

import { TransferTokenVerifier } from './transfer-token-verifier.js';

const macKey = deriveKey('api-secret-0123456789-0123456789-abcdef', 'transfer-token');
const api = transferSigningKeys(deriveKey('api-secret-0123456789-0123456789-abcdef', 'transfer-signing'));
const now = Date.UTC(2026, 11, 1, 12, 0, 0);
const keyAnswer: TransferKeyAnswer = {
  public_key: api.publicKey.toString('base64url'),
  max_object_size: 1000,
};

function header(role: 'read' | 'write', signingKey = api.privateKey, expiresAt = now / 1000 + 60): string {
  const token = encodeTransferToken(
    { userId: '42', projectId: '7', role, expiresAt },
    { username: 'alice', projectPath: 'team/main' },
    { macKey, signingKey },
  );
  return formatBasicAuthorization('alice', token);
}

function verifier(answers: (TransferKeyAnswer | undefined)[]): {
  tokens: TransferTokenVerifier;
  asked: () => number;
} {
  let asked = 0;
  return {
    tokens: new TransferTokenVerifier(() => Promise.resolve(answers[asked++])),
    asked: () => asked,
  };
}

describe(TransferTokenVerifier.name, () => {
  it('grants a write token for its project, asking the API for the key once', async () => {
    const { tokens, asked } = verifier([keyAnswer]);
    const write = header('write');
    expect(await tokens.grant(write, 'team/main', 'write', now)).toMatchObject({
      userId: '42',
      username: 'alice',
    });
    expect(await tokens.grant(write, 'team/main', 'read', now)).toBeDefined();
    expect(await tokens.grant(header('write'), 'team/main', 'write', now)).toBeDefined();
    expect(asked()).toBe(1);
    expect(tokens.maxObjectSize).toBe(1000);
  });

  it('grants no write to a read token, nothing on another project, to a password or after expiry', async () => {
    const { tokens } = verifier([keyAnswer]);
    expect(await tokens.grant(header('read'), 'team/main', 'write', now)).toBeUndefined();
    expect(await tokens.grant(header('write'), 'team/other', 'write', now)).toBeUndefined();
    expect(
      await tokens.grant(formatBasicAuthorization('alice', 'a password'), 'team/main', 'write', now),
    ).toBe(undefined);
    const write = header('write');
    expect(await tokens.grant(write, 'team/main', 'write', now)).toBeDefined();
    // Remembered, but never past its expiry.
    expect(await tokens.grant(write, 'team/main', 'write', now + 60_000)).toBeUndefined();
  });

  it('grants nothing to a token signed with another key', async () => {
    const { tokens } = verifier([keyAnswer]);
    const other = transferSigningKeys(
      deriveKey('another-api-secret-0123456789-0123456789', 'transfer-signing'),
    );
    expect(await tokens.grant(header('write', other.privateKey), 'team/main', 'write', now)).toBeUndefined();
  });

  it('grants nothing while the API cannot give its key, and asks again only after a pause', async () => {
    const { tokens, asked } = verifier([undefined, keyAnswer]);
    expect(await tokens.grant(header('write'), 'team/main', 'write', now)).toBeUndefined();
    expect(await tokens.grant(header('write'), 'team/main', 'write', now + 1000)).toBeUndefined();
    expect(asked()).toBe(1);
    expect(await tokens.grant(header('write'), 'team/main', 'write', now + 6000)).toBeDefined();
    expect(asked()).toBe(2);
  });

  it('forgets the least recently used tokens beyond its bound', async () => {
    let asked = 0;
    const tokens = new TransferTokenVerifier(() => {
      asked += 1;
      return Promise.resolve(keyAnswer);
    }, 2);
    const first = header('write', api.privateKey, now / 1000 + 61);
    await tokens.grant(first, 'team/main', 'write', now);
    await tokens.grant(header('write', api.privateKey, now / 1000 + 62), 'team/main', 'write', now);
    await tokens.grant(header('write', api.privateKey, now / 1000 + 63), 'team/main', 'write', now);
    expect((tokens as unknown as { verified: Map<string, unknown> }).verified.size).toBe(2);
    // The first was dropped: it verifies again (and still passes).
    expect(await tokens.grant(first, 'team/main', 'write', now)).toBeDefined();
    expect(asked).toBe(1);
  });
});
