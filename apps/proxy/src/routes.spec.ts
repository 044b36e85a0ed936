import type { IncomingMessage } from 'node:http';

import { describe, expect, it } from '@jest/globals';

import { isInternalApiPath, matchObjectRoute } from './routes.js';

const oid = 'a'.repeat(64);
const request = (method: string, url: string) => ({ method, url }) as IncomingMessage;

describe(matchObjectRoute.name, () => {
  it('returns an upload for PUT with a size, on nested project paths with or without .git', () => {
    expect(matchObjectRoute(request('PUT', `/g/sub/name.git/info/lfs/objects/${oid}/42`))).toEqual({
      kind: 'upload',
      project: 'g/sub/name',
      oid,
      size: 42,
    });
    expect(matchObjectRoute(request('PUT', `/name/info/lfs/objects/${oid}/0`))).toMatchObject({
      project: 'name',
      size: 0,
    });
  });

  it('returns a download for GET and HEAD without a size', () => {
    expect(matchObjectRoute(request('GET', `/g/n.git/info/lfs/objects/${oid}`))).toEqual({
      kind: 'download',
      project: 'g/n',
      oid,
    });
    expect(matchObjectRoute(request('HEAD', `/g/n.git/info/lfs/objects/${oid}?x=1`))).toMatchObject({
      kind: 'download',
    });
  });

  it.each([
    ['POST', `/g/n.git/info/lfs/objects/batch`],
    ['POST', `/g/n.git/info/lfs/objects/verify`],
    ['PUT', `/g/n.git/info/lfs/objects/${oid}`],
    ['GET', `/g/n.git/info/lfs/objects/${oid}/5`],
    ['PUT', `/g/n.git/info/lfs/objects/${oid.toUpperCase()}/5`],
    ['GET', `/g/n.git/info/lfs/objects/abc`],
    ['GET', `/api/v1/projects`],
  ])('returns undefined for %s %s (forwarded to the API)', (method, url) => {
    expect(matchObjectRoute(request(method, url))).toBeUndefined();
  });
});

describe(isInternalApiPath.name, () => {
  it.each([
    '/internal/uploads/authorize',
    '/internal/uploads/finalize?x=1',
    '/internal',
    '/internal/',
    '/INTERNAL/uploads/authorize',
    '/%69nternal/uploads/authorize',
    '//internal/downloads/authorize',
    '/x/../internal/uploads/authorize',
    'http://api.example/internal/uploads/authorize',
    '/internal%2Fuploads%2Fauthorize',
  ])('returns true for %s', (url) => {
    expect(isInternalApiPath(url)).toBe(true);
  });

  it.each([
    '/',
    '/internals',
    '/team/internal/info/lfs/objects/batch',
    '/internal/info/lfs/objects/batch',
    '/internal/sub/info/lfs/locks',
    '/api/v1/users',
    '/-/health',
  ])('returns false for %s', (url) => {
    expect(isInternalApiPath(url)).toBe(false);
  });
});
