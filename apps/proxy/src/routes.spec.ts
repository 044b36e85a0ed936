import type { IncomingMessage } from 'node:http';

import { describe, expect, it } from '@jest/globals';

import { matchObjectRoute } from './routes.js';

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
