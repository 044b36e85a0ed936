import { describe, expect, it } from '@jest/globals';

import { isLfsPath, parseLfsPath } from './lfs-paths.js';

describe(parseLfsPath.name, () => {
  it.each([
    ['/team/engine.git/info/lfs/objects/batch', 'team/engine', '/objects/batch'],
    ['/team/engine/info/lfs/locks', 'team/engine', '/locks'],
    ['/team%2Fengine/info/lfs', 'team/engine', '/'],
    ['/info.git/info/lfs/locks', 'info', '/locks'],
    ['/info/lfsx/info/lfs/locks', 'info/lfsx', '/locks'],
  ])('returns the project and the LFS sub-path of %s', (url, project, rest) => {
    expect(parseLfsPath(url)).toEqual({ project, rest });
  });

  it.each([
    '/team/info/lfs/x/info/lfs/locks',
    '/team/info/lfs/x.git/info/lfs/objects/batch',
    '/team%2Finfo%2Flfs%2Fx/info/lfs/locks',
    '/info/lfs/info/lfs/locks',
    '/team%00/info/lfs/locks',
    '/te%0Aam/info/lfs/locks',
    '/%E0%A4%A/info/lfs/locks',
    '/api/v1/projects',
  ])('returns undefined for %s, which names no project a valid path could name', (url) => {
    expect(parseLfsPath(url)).toBeUndefined();
    expect(isLfsPath(url)).toBe(false);
  });
});
