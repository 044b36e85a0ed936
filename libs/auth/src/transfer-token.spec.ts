import { createHmac, generateKeyPairSync, sign } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import { deriveKey, internalKeys } from './keys.js';
import {
  encodeTransferToken,
  hasValidTransferMac,
  hasValidTransferSignature,
  parseTransferPayload,
  parseTransferToken,
  transferSigningKeys,
  transferTokenPayload,
  transferVerifyingKey,
} from './transfer-token.js';
import type { TransferClaims } from './transfer-token.js';

const API_SECRET = 'api-secret-0123456789-0123456789-abcdef';
const INTERNAL_SECRET = 'internal-secret-0123456789-0123456789-abcdef';
const macKey = deriveKey(API_SECRET, 'transfer-token');
const apiKeys = transferSigningKeys(deriveKey(API_SECRET, 'transfer-signing'));
/** What the proxy holds: the public key the API gives it. */
const proxyKey = transferVerifyingKey(apiKeys.publicKey);
const now = Date.UTC(2026, 11, 1, 12, 0, 0);
const claims: TransferClaims = { userId: '42', projectId: '7', role: 'write', expiresAt: now / 1000 + 3600 };
const binding = { username: 'alice', projectPath: 'team/main' };
const token = encodeTransferToken(claims, binding, { macKey, signingKey: apiKeys.privateKey });

function checkedByProxy(candidate: string, bound = binding, at = now): boolean {
  const parsed = parseTransferToken(candidate, at);
  return parsed !== undefined && hasValidTransferSignature(parsed, bound, proxyKey);
}

describe('transfer tokens', () => {
  it('verify with the public key for their username and project, and carry their claims', () => {
    expect(checkedByProxy(token)).toBe(true);
    expect(parseTransferToken(token, now)?.claims).toEqual(claims);
    const parsed = parseTransferToken(token, now);
    expect(parsed && hasValidTransferMac(parsed, macKey)).toBe(true);
  });

  it('are refused for another username or project path than the signature binds', () => {
    expect(checkedByProxy(token, { ...binding, username: 'mallory' })).toBe(false);
    expect(checkedByProxy(token, { ...binding, projectPath: 'team/other' })).toBe(false);
  });

  it('are refused once expired', () => {
    expect(parseTransferToken(token, (claims.expiresAt - 1) * 1000)).toBeDefined();
    expect(parseTransferToken(token, claims.expiresAt * 1000)).toBeUndefined();
  });

  it('are refused when signed with another key', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const other = encodeTransferToken(claims, binding, { macKey, signingKey: privateKey });
    expect(checkedByProxy(other)).toBe(false);
    const otherApi = transferSigningKeys(
      deriveKey('another-api-secret-0123456789-0123456789', 'transfer-signing'),
    );
    expect(
      checkedByProxy(encodeTransferToken(claims, binding, { macKey, signingKey: otherApi.privateKey })),
    ).toBe(false);
  });

  it('are refused when any claim was changed after signing, even with a valid MAC', () => {
    const [payload, , signature] = token.slice('lfsx_'.length).split('.');
    const bytes = Buffer.from(payload ?? '', 'base64url');
    bytes[5] = 3; // write → maintainer
    // Even someone holding the MAC key (only the API does) could not make the signature follow.
    const mac = createHmac('sha256', macKey)
      .update('lfs-depot transfer token v1\n')
      .update(bytes)
      .digest()
      .subarray(0, 16);
    const tampered = `lfsx_${bytes.toString('base64url')}.${mac.toString('base64url')}.${signature}`;
    const parsed = parseTransferToken(tampered, now);
    expect(parsed?.claims.role).toBe('maintainer');
    expect(parsed && hasValidTransferMac(parsed, macKey)).toBe(true);
    expect(checkedByProxy(tampered)).toBe(false);
  });

  it('cannot be minted by the proxy with what it holds (INTERNAL_SECRET and its keys)', () => {
    const keys = internalKeys(INTERNAL_SECRET);
    for (const secret of [
      INTERNAL_SECRET,
      keys.request.toString('hex'),
      keys.clientAddress.toString('hex'),
    ]) {
      // Everything the proxy could derive a signing key or MAC key from is refused, by signature and by MAC alike.
      const attempt = encodeTransferToken(claims, binding, {
        macKey: deriveKey(secret, 'transfer-token'),
        signingKey: transferSigningKeys(deriveKey(secret, 'transfer-signing')).privateKey,
      });
      expect(checkedByProxy(attempt)).toBe(false);
      const parsed = parseTransferToken(attempt, now);
      expect(parsed && hasValidTransferMac(parsed, macKey)).toBe(false);
    }
    // Nor does the public key sign: Node refuses to make a signature with it.
    expect(() => sign(null, Buffer.from('x'), proxyKey)).toThrow(/key/i);
  });

  it('are refused when malformed or of an older version', () => {
    for (const candidate of [
      'lfsx_',
      'lfsx_a.b',
      'lfsx_a.b.c',
      `${token}.x`,
      token.replace('lfsx_', 'lfsd_'),
    ]) {
      expect(parseTransferToken(candidate, now)).toBeUndefined();
    }
    const [payload, mac, signature] = token.slice('lfsx_'.length).split('.');
    const bytes = Buffer.from(payload ?? '', 'base64url');
    bytes[0] = 3;
    expect(
      parseTransferToken(`lfsx_${bytes.toString('base64url')}.${mac}.${signature}`, now),
    ).toBeUndefined();
    expect(parseTransferToken(`lfsx_${payload}.${mac}`, now)).toBeUndefined();
  });

  it('give their claims part alone, which reads back to the same claims (what a download grant carries)', () => {
    const payload = transferTokenPayload(token);
    expect(payload).toBe(token.slice('lfsx_'.length).split('.')[0]);
    expect(parseTransferPayload(payload ?? '', now)).toEqual(claims);
    expect(parseTransferPayload(payload ?? '', claims.expiresAt * 1000)).toBeUndefined();
    for (const candidate of ['', 'not+base64url', 'A'.repeat(97), 'AAAA']) {
      expect(parseTransferPayload(candidate, now)).toBeUndefined();
    }
    expect(transferTokenPayload('lfsd_abc.def')).toBeUndefined();
    expect(transferTokenPayload('lfsx_.def')).toBeUndefined();
  });
});
