import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

// bin/lfs-depot is tested on copies in a temporary "repository", so the result never depends on whether this
// checkout has been built; what the built CLI does is covered through main() in main.spec.ts.
const BIN = fileURLToPath(new URL('../../../bin/lfs-depot', import.meta.url));

describe('bin/lfs-depot', () => {
  let root: string;
  let repo: string;
  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'lfs-depot-bin-')));
    repo = join(root, 'repo');
    mkdirSync(join(repo, 'bin'), { recursive: true });
    copyFileSync(BIN, join(repo, 'bin', 'lfs-depot'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function runNode(script: string, args: string[], cwd = root) {
    const result = spawnSync(process.execPath, [script, ...args], { cwd, encoding: 'utf8' });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  function fakeBuild(): void {
    const dist = join(repo, 'dist', 'apps', 'cli', 'src');
    mkdirSync(dist, { recursive: true });
    // Valid as ESM and as CommonJS, like the launcher itself.
    writeFileSync(
      join(dist, 'run.js'),
      'process.stdout.write(JSON.stringify(process.argv.slice(2)));\nprocess.exitCode = 3;\n',
    );
  }

  it('is an executable node script', () => {
    expect(statSync(BIN).mode & 0o111).toBe(0o111);
    expect(readFileSync(BIN, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('says how to build when dist is missing, naming the repository, and exits 1', () => {
    const result = runNode(join(repo, 'bin', 'lfs-depot'), ['--help']);

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `lfs-depot is not built: run \`npm run build\` in ${repo}\n`,
    });
  });

  it('names the real repository when started through a symlink from another directory', () => {
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(join(repo, 'bin', 'lfs-depot'), join(elsewhere, 'lfs-depot'));

    const result = runNode(join(elsewhere, 'lfs-depot'), [], elsewhere);

    expect(result.stderr).toBe(`lfs-depot is not built: run \`npm run build\` in ${repo}\n`);
    expect(result.code).toBe(1);
  });

  it('runs when executed directly through its shebang', () => {
    const env = {
      ...process.env,
      PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}`,
    };

    const result = spawnSync(join(repo, 'bin', 'lfs-depot'), ['--help'], {
      cwd: root,
      encoding: 'utf8',
      env,
    });

    expect(result.stderr).toBe(`lfs-depot is not built: run \`npm run build\` in ${repo}\n`);
    expect(result.status).toBe(1);
  });

  it.each([
    ['a "type": "module" package (ESM)', '{ "type": "module" }'],
    ['no package.json (CommonJS)', undefined],
  ])(
    'imports dist/apps/cli/src/run.js with the arguments and exit code intact, inside %s',
    (_scope, packageJson) => {
      if (packageJson !== undefined) {
        writeFileSync(join(repo, 'package.json'), packageJson);
      }
      fakeBuild();

      const result = runNode(join(repo, 'bin', 'lfs-depot'), ['stats', 'group/name', '--json']);

      expect(result).toEqual({ code: 3, stdout: '["stats","group/name","--json"]', stderr: '' });
    },
  );
});
