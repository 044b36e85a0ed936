import { createHash, randomBytes } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import {
  downloadGrantRoot,
  hasValidDownloadGrantSignature,
  parseDownloadGrant,
  signDownloadGrants,
} from './download-grant.js';
import type { DownloadGrantClaims, GrantedObject } from './download-grant.js';
import { deriveKey } from './keys.js';
import { transferSigningKeys, transferVerifyingKey } from './transfer-token.js';

const apiKeys = transferSigningKeys(deriveKey('api-secret-0123456789-0123456789-abcdef', 'transfer-signing'));
/** What the proxy holds: the public key the API gives it. */
const proxyKey = transferVerifyingKey(apiKeys.publicKey);
const otherKeys = transferSigningKeys(randomBytes(32));
const claims: DownloadGrantClaims = {
  projectPath: 'team/main',
  credential: 'BGlv4wACNDIuNy4xMw',
  issuedAt: Date.UTC(2026, 11, 1, 12, 0, 0),
  expiresAt: Date.UTC(2026, 11, 1, 13, 0, 0) / 1000,
};

const CREDENTIAL = claims.credential;
const SALT = 'A'.repeat(22);
const SIGNATURE = 'A'.repeat(86);

function objects(count: number): GrantedObject[] {
  return Array.from({ length: count }, (_, i) => ({
    oid: createHash('sha256').update(`object ${i}`).digest('hex'),
    size: i * 1000 + 1,
  }));
}

/** What the proxy does with a grant value for `oid`: parse, walk the path, check the signature for `bound`. */
function checkedByProxy(value: string, oid: string, bound: Partial<DownloadGrantClaims> = {}): boolean {
  const parsed = parseDownloadGrant(value);
  const root = parsed && downloadGrantRoot(parsed, oid);
  return (
    parsed !== undefined &&
    root !== undefined &&
    hasValidDownloadGrantSignature(
      {
        projectPath: claims.projectPath,
        credential: parsed.credential,
        issuedAt: parsed.issuedAt,
        expiresAt: parsed.expiresAt,
        ...bound,
      },
      parsed.count,
      root,
      parsed.signature,
      proxyKey,
    )
  );
}

describe('download grants', () => {
  it.each([1, 2, 3, 4, 5, 7, 8, 9, 100, 1000])(
    'prove each of %i objects, with its size, under one signature',
    (count) => {
      const granted = objects(count);
      const grants = signDownloadGrants(claims, granted, apiKeys.privateKey);
      expect(grants).toHaveLength(count);
      granted.forEach((object, i) => {
        const value = grants[i];
        expect(checkedByProxy(value, object.oid)).toBe(true);
        expect(parseDownloadGrant(value)).toMatchObject({ index: i, size: object.size, count });
      });
      expect(new Set(grants.map((value) => parseDownloadGrant(value)?.signature)).size).toBe(1);
    },
  );

  it('are written in digits, dots and base64url only, which the batch serializer writes without escaping', () => {
    const grants = signDownloadGrants(claims, objects(100), apiKeys.privateKey);
    for (const value of grants) {
      expect(value).toMatch(/^[0-9A-Za-z._-]+$/);
    }
  });

  it('prove nothing for an oid outside the batch, or for another object of it (a swapped proof)', () => {
    const granted = objects(9);
    const grants = signDownloadGrants(claims, granted, apiKeys.privateKey);
    const outsider = createHash('sha256').update('not granted').digest('hex');
    expect(checkedByProxy(grants[3], outsider)).toBe(false);
    expect(checkedByProxy(grants[3], granted[4]?.oid)).toBe(false);
    // Every byte of the oid is bound: one that differs only in its last byte proves nothing.
    const own = granted[3]?.oid ?? '';
    expect(checkedByProxy(grants[3], `${own.slice(0, 62)}${own.endsWith('00') ? '01' : '00'}`)).toBe(false);
    expect(checkedByProxy(grants[3], own)).toBe(true);
    // Nor does the same oid in capitals, or a value that is not an oid.
    expect(checkedByProxy(grants[3], own.toUpperCase())).toBe(false);
    expect(checkedByProxy(grants[3], `${own.slice(0, 63)}z`)).toBe(false);
  });

  it('are refused with another size, index, salt, count, credential, project, issue time or expiry than were signed', () => {
    const granted = objects(5);
    const value = signDownloadGrants(claims, granted, apiKeys.privateKey)[2];
    const oid = granted[2]?.oid;
    const parts = value.split('.');
    const altered = (at: number, to: string): string =>
      parts.map((part, i) => (i === at ? to : part)).join('.');
    expect(checkedByProxy(altered(8, String(granted[2]?.size ?? 0) + '0'), oid)).toBe(false);
    expect(checkedByProxy(altered(7, '3'), oid)).toBe(false);
    expect(checkedByProxy(altered(5, 'A'.repeat(22)), oid)).toBe(false);
    expect(checkedByProxy(altered(4, 'BGlv4wACNDMuNy4xMw'), oid)).toBe(false);
    expect(checkedByProxy(altered(3, '6'), oid)).toBe(false);
    expect(checkedByProxy(altered(1, String(claims.issuedAt + 1)), oid)).toBe(false);
    expect(checkedByProxy(altered(2, String(claims.expiresAt + 60)), oid)).toBe(false);
    expect(checkedByProxy(value, oid, { projectPath: 'team/other' })).toBe(false);
    expect(checkedByProxy(value, oid)).toBe(true);
  });

  it('are refused when signed with another key (the proxy cannot make one)', () => {
    const granted = objects(4);
    const value = signDownloadGrants(claims, granted, otherKeys.privateKey)[1];
    expect(checkedByProxy(value, granted[1]?.oid)).toBe(false);
  });

  it('hash every node under a salt of their own tree, drawn anew for each signing', () => {
    const granted = objects(8);
    const once = signDownloadGrants(claims, granted, apiKeys.privateKey);
    const again = signDownloadGrants(claims, granted, apiKeys.privateKey);
    const salt = (value: string | undefined): string => (value ?? '').split('.')[5] ?? '';
    expect(salt(once[0])).not.toBe(salt(again[0]));
    expect(new Set(once.map(salt)).size).toBe(1);
    // Same objects, other salt: other nodes, so no part of one path fits the other tree.
    expect(parseDownloadGrant(once[0] ?? '')?.siblings.subarray(40)).not.toEqual(
      parseDownloadGrant(again[0] ?? '')?.siblings.subarray(40),
    );
    const swapped = (once[0] ?? '').split('.');
    swapped[5] = salt(again[0]);
    expect(checkedByProxy(swapped.join('.'), granted[0]?.oid ?? '')).toBe(false);
  });

  it('carry their credential, and a path of 16-byte nodes: a grant among 100 stays short', () => {
    const granted = objects(100);
    const grants = signDownloadGrants(claims, granted, apiKeys.privateKey);
    expect(parseDownloadGrant(grants[37] ?? '')?.credential).toBe(claims.credential);
    // A sibling leaf (40 bytes) and six nodes: 136 bytes of path.
    expect(parseDownloadGrant(grants[37] ?? '')?.siblings).toHaveLength(40 + 6 * 16);
    expect(Math.max(...grants.map((value) => value.length))).toBeLessThan(380);
  });

  it('have a path of exactly the shape their count and index fix', () => {
    const granted = objects(6);
    const value = signDownloadGrants(claims, granted, apiKeys.privateKey)[0];
    const parsed = parseDownloadGrant(value);
    expect(parsed).toBeDefined();
    if (!parsed) {
      return;
    }
    const oid = granted[0]?.oid;
    expect(downloadGrantRoot({ ...parsed, siblings: parsed.siblings.subarray(1) }, oid)).toBeUndefined();
    expect(
      downloadGrantRoot({ ...parsed, siblings: Buffer.concat([parsed.siblings, Buffer.alloc(16)]) }, oid),
    ).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['version 1', `1.1.2.1.${SIGNATURE}.0.1.`],
    ['too few parts', '2.1.2.1'],
    ['an index past the count', `2.1.2.1.${CREDENTIAL}.${SALT}.${SIGNATURE}.1.1.`],
    ['a signature of the wrong length', `2.1.2.1.${CREDENTIAL}.${SALT}.AAAA.0.1.`],
    ['a salt of the wrong length', `2.1.2.1.${CREDENTIAL}.AAAA.${SIGNATURE}.0.1.`],
    ['a leading zero', `2.01.2.1.${CREDENTIAL}.${SALT}.${SIGNATURE}.0.1.`],
    ['a negative size', `2.1.2.1.${CREDENTIAL}.${SALT}.${SIGNATURE}.0.-1.`],
    ['a credential that is not base64url', `2.1.2.1.${CREDENTIAL}+.${SALT}.${SIGNATURE}.0.1.`],
    ['an oversized value', `2.1.2.1.${CREDENTIAL}.${SALT}.${SIGNATURE}.0.1.${'A'.repeat(3000)}`],
  ])('do not parse when %s', (_case, value) => {
    expect(parseDownloadGrant(value)).toBeUndefined();
  });
});
