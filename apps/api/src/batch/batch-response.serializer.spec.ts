import { describe, expect, it } from '@jest/globals';
import type { BatchResponse } from '@lfs-depot/contracts';
import fc from 'fast-check';

import { isJsonSafeAscii, serializeBatchResponse } from './batch-response.serializer.js';

const OID = 'ab'.repeat(32);
const header = { Authorization: 'Basic dXNlcjpsZnN4X3Rva2Vu' };

describe(serializeBatchResponse.name, () => {
  it('writes exactly what JSON.stringify writes, for every kind of object result', () => {
    const response: BatchResponse = {
      transfer: 'basic',
      objects: [
        {
          oid: OID,
          size: 12,
          authenticated: true,
          actions: {
            download: {
              href: `https://lfs.example/g/p.git/info/lfs/objects/${OID}`,
              header,
              expires_in: 3600,
            },
          },
        },
        {
          oid: OID,
          size: 0,
          authenticated: true,
          actions: {
            upload: { href: `https://lfs.example/g/p.git/info/lfs/objects/${OID}/0`, header, expires_in: 60 },
            verify: {
              href: 'https://lfs.example/g/p.git/info/lfs/objects/verify',
              expires_at: '2026-11-26T10:00:00Z',
            },
          },
        },
        { oid: OID, size: 9_007_199_254_740_991, authenticated: true },
        {
          oid: 'not "an" oid\\\n',
          size: 0,
          error: { code: 422, message: 'Invalid oid: expected 64 hex characters' },
        },
        { oid: OID, size: 1, error: { code: 404, message: 'Objekt \u00fcberall \u2028 nicht da \ud800' } },
      ],
      hash_algo: 'sha256',
    };
    expect(serializeBatchResponse(response).json).toBe(JSON.stringify(response));
  });

  it('writes a different header object of a later action as that header', () => {
    const other = { Authorization: 'Basic b3RoZXI=' };
    const response: BatchResponse = {
      transfer: 'basic',
      objects: [
        { oid: OID, size: 1, actions: { download: { href: 'h1', header } } },
        { oid: OID, size: 1, actions: { download: { href: 'h2', header: other } } },
        { oid: OID, size: 1, actions: { download: { href: 'h3', header } } },
      ],
      hash_algo: 'sha256',
    };
    expect(serializeBatchResponse(response).json).toBe(JSON.stringify(response));
  });

  it('writes headers that repeat some entries of the previous one and change others', () => {
    const credential = 'Basic "quoted" \u00e9';
    const download = (header: Record<string, string>) => ({
      oid: OID,
      size: 1,
      actions: { download: { href: 'h', header } },
    });
    const response: BatchResponse = {
      transfer: 'basic',
      objects: [
        download({ Authorization: credential, 'X-Grant': 'g1' }),
        download({ Authorization: credential, 'X-Grant': 'g2' }),
        download({ Authorization: credential, 'X-Grant': 'g2' }),
        download({ Authorization: credential }),
        download({ 'X-Grant': 'g2', Authorization: credential }),
        download({ 'a "name"\n': credential, Authorization: 'other', 'X-Grant': 'g3' }),
        download({ Authorization: credential, 'X-Grant': 'g3' }),
        download({}),
        download({ Authorization: credential, 'X-Grant': 'g4' }),
      ],
      hash_algo: 'sha256',
    };
    const result = serializeBatchResponse(response);
    expect(result.json).toBe(JSON.stringify(response));
    expect(result.ascii).toBe(false);
  });

  it('writes any sequence of action headers as JSON.stringify does', () => {
    const text = fc.oneof(
      fc.constantFrom('Authorization', 'X-Grant', 'Basic dXNlcg==', ''),
      fc.string({ unit: 'binary', maxLength: 6 }),
    );
    const header = fc.dictionary(text, text, { maxKeys: 3 });
    fc.assert(
      fc.property(fc.array(header, { maxLength: 8 }), (headers) => {
        const response: BatchResponse = {
          transfer: 'basic',
          objects: headers.map((h) => ({
            oid: OID,
            size: 1,
            actions: { download: { href: 'h', header: h } },
          })),
          hash_algo: 'sha256',
        };
        const result = serializeBatchResponse(response);
        expect(result.json).toBe(JSON.stringify(response));
        expect(result.ascii).toBe(Buffer.byteLength(result.json) === result.json.length);
      }),
    );
  });

  it('writes the rarer shapes as JSON.stringify does: other action names, no or false authenticated, odd numbers', () => {
    const response = {
      transfer: 'basic',
      objects: [
        { oid: OID, size: 1, authenticated: false, actions: { download: { href: 'h' } } },
        { oid: OID, size: 2, authenticated: false },
        { oid: OID, size: 3, actions: { 'custom "name"': { href: 'h', expires_in: -0 }, verify: undefined } },
        { oid: OID, size: 4, actions: {} },
        { oid: OID, size: Number.NaN, error: { code: Number.POSITIVE_INFINITY, message: 'm' } },
        { oid: OID, size: 1e21, actions: { upload: { href: 'h', expires_in: 1.5 } } },
        { oid: OID, size: 5, actions: { constructor: { href: 'h' }, toString: { href: '"' } } },
        { oid: OID, size: 6, actions: JSON.parse('{"__proto__": {"href": "h"}}') as object },
        { oid: OID, size: 7, authenticated: null },
      ],
      hash_algo: 'sha256',
    } as unknown as BatchResponse;
    expect(serializeBatchResponse(response).json).toBe(JSON.stringify(response));
  });

  it('writes an empty batch', () => {
    const response: BatchResponse = { transfer: 'basic', objects: [], hash_algo: 'sha256' };
    expect(serializeBatchResponse(response).json).toBe(JSON.stringify(response));
  });

  describe('with the actions vouched for', () => {
    const safe = fc.stringMatching(/^[!#-[\]-~ ]{0,12}$/);
    const anything = fc.string({ unit: 'binary', maxLength: 6 });
    const action = fc.record(
      {
        href: safe,
        header: fc.dictionary(fc.oneof(anything, fc.constant('Authorization')), safe, { maxKeys: 2 }),
        expires_in: fc.oneof(fc.integer({ min: 0, max: 7200 }), fc.constant(Number.NaN)),
        expires_at: safe,
      },
      { requiredKeys: ['href'] },
    );
    const object = fc.record({
      oid: safe,
      size: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
      authenticated: fc.constantFrom(true, true, true, false, undefined),
      actions: fc.option(
        fc.record({ download: action, upload: action, verify: action, other: action }, { requiredKeys: [] }),
        { nil: undefined },
      ),
      error: fc.option(fc.record({ oid: anything, message: anything }), { nil: undefined }),
    });

    it('writes exactly what JSON.stringify writes when the vouched strings are JSON-safe ASCII', () => {
      fc.assert(
        fc.property(fc.array(object, { maxLength: 6 }), (objects) => {
          const response = {
            transfer: 'basic',
            objects: objects.map(({ oid, size, authenticated, actions, error }) =>
              error
                ? { oid: error.oid, size, error: { code: 404, message: error.message } }
                : { oid, size, authenticated, actions },
            ),
            hash_algo: 'sha256',
          } as BatchResponse;
          const result = serializeBatchResponse(response, 'actions');
          expect(result.json).toBe(JSON.stringify(response));
          expect(result.ascii).toBe(Buffer.byteLength(result.json) === result.json.length);
        }),
        { numRuns: 500 },
      );
    });

    it('writes vouched strings unchecked, so the vouch is what keeps the answer valid', () => {
      const response: BatchResponse = {
        transfer: 'basic',
        objects: [
          { oid: OID, size: 1, actions: { download: { href: 'a"b', header: { 'X-Grant': 'c\\d' } } } },
        ],
        hash_algo: 'sha256',
      };
      expect(serializeBatchResponse(response, 'actions').json).toContain(
        '"href":"a"b","header":{"X-Grant":"c\\d"}',
      );
      expect(serializeBatchResponse(response).json).toBe(JSON.stringify(response));
    });

    it.each([
      ['https://lfs.example/g/p.git/info/lfs/objects', true],
      ['Basic dXNlcjpsZnN4X3Rva2Vu', true],
      ['a "quoted" word', false],
      ['back\\slash', false],
      ['new\nline', false],
      ['caf\u00e9', false],
      ['DEL \u007f', false],
    ])('isJsonSafeAscii(%j) is %s', (value, expected) => {
      expect(isJsonSafeAscii(value)).toBe(expected);
    });
  });

  describe('tells whether the text is all ASCII (sent as Latin-1 then)', () => {
    const withError = (message: string): BatchResponse => ({
      transfer: 'basic',
      objects: [{ oid: OID, size: 1, error: { code: 404, message } }],
      hash_algo: 'sha256',
    });
    const withHeader = (value: string): BatchResponse => ({
      transfer: 'basic',
      objects: [
        { oid: OID, size: 1, actions: { download: { href: 'h', header: { Authorization: value } } } },
      ],
      hash_algo: 'sha256',
    });

    it.each([
      ['plain text', withError('Object does not exist'), true],
      ['quotes and control characters, escaped as ASCII', withError('a "b"\n\u0001'), true],
      ['a lone surrogate, escaped as ASCII', withError('x \ud800'), true],
      ['a letter beyond ASCII in a message', withError('Objekt \u00fcberall'), false],
      ['DEL, which JSON leaves as it is and is still ASCII', withError('x \u007f'), true],
      ['a letter beyond ASCII in a header', withHeader('Basic \u00e9'), false],
      ['ASCII header', withHeader('Basic dXNlcg=='), true],
    ])('%s', (_, response, ascii) => {
      const result = serializeBatchResponse(response);
      expect(result.json).toBe(JSON.stringify(response));
      expect(result.ascii).toBe(ascii);
      expect(Buffer.byteLength(result.json) === result.json.length).toBe(ascii);
    });
  });
});
