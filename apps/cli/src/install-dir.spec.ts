import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { findInstallDir } from './install-dir.js';

describe(findInstallDir.name, () => {
  let root: string;
  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'lfs-depot-install-')));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function moduleIn(...segments: string[]): string {
    mkdirSync(join(root, ...segments), { recursive: true });
    return pathToFileURL(join(root, ...segments, 'connection.js')).href;
  }

  it("returns the nearest folder above the module whose package.json is lfs-depot's", () => {
    writeFileSync(join(root, 'package.json'), '{ "name": "lfs-depot" }');
    // A package.json of another name in between (a workspace lib, say) does not count.
    writeFileSync(join(mkdirp(root, 'dist'), 'package.json'), '{ "name": "something-else" }');

    expect(findInstallDir(moduleIn('dist', 'apps', 'cli', 'src'))).toBe(root);
  });

  it('returns undefined when no folder above holds lfs-depot', () => {
    writeFileSync(join(root, 'package.json'), 'not json');

    expect(findInstallDir(moduleIn('apps', 'cli', 'src'))).toBeUndefined();
  });

  it('returns the checkout that holds this very module', () => {
    expect(findInstallDir()).toBe(realpathSync(new URL('../../..', import.meta.url)));
  });
});

function mkdirp(...segments: string[]): string {
  mkdirSync(join(...segments), { recursive: true });
  return join(...segments);
}
