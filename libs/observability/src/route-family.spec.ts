import { describe, expect, it } from '@jest/globals';

import { requestProject, routeFamily } from './route-family.js';

const OID = 'a'.repeat(64);

describe('routeFamily', () => {
  it.each([
    ['POST', '/g/p.git/info/lfs/objects/batch', 'lfs_batch'],
    ['PUT', `/g/sub/p.git/info/lfs/objects/${OID}/12`, 'lfs_upload'],
    ['GET', `/g/p/info/lfs/objects/${OID}`, 'lfs_download'],
    ['POST', '/g/p.git/info/lfs/objects/verify', 'lfs_verify'],
    ['POST', '/g/p.git/info/lfs/locks/12/unlock', 'lfs_locks'],
    ['GET', '/g/p.git/info/lfs/locks?path=a&cursor=b', 'lfs_locks'],
    ['GET', '/g/p.git/info/lfs/nonsense', 'lfs_other'],
    ['GET', '/api/v1/users/alice?token=x', 'admin'],
    ['GET', '/api/docs/openapi.json', 'docs'],
    ['POST', '/internal/uploads/authorize', 'internal'],
    ['GET', '/-/readiness', 'health'],
    ['GET', '/metrics?x=1', 'metrics'],
    ['GET', '/anything/else', 'other'],
    ['GET', 'http://user:password@host/g/p.git/info/lfs/objects/batch', 'other'],
  ])('%s %s is %s', (method, url, family) => {
    expect(routeFamily(method, url)).toBe(family);
  });

  it('names the project of LFS routes only', () => {
    expect(requestProject('/games/engine.git/info/lfs/locks?x=1')).toBe('games/engine');
    expect(requestProject('/api/v1/projects/games%2Fengine')).toBeUndefined();
  });
});
