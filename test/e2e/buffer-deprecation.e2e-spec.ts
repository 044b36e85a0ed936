import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

// The suite always runs from the repository root, after the build (scripts/run-tests.mjs).
const root = process.cwd();
const STRATEGY = path.join(root, 'dist/apps/api/src/auth/basic-auth.strategy.js');

/**
 * Runs the built BasicAuthStrategy in a process of its own (Node's DEP0005 state is per process), constructed from a
 * module inside node_modules as Nest's injector constructs it, and prints the deprecation warnings asked for.
 */
const PROGRAM = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const asked = [];
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, type, code, ...rest) {
  asked.push({ code, silenced: process.noDeprecation === true });
  return emitWarning.call(this, warning, type, code, ...rest);
};
const { BasicAuthStrategy } = await import(process.argv[2]);
require('injector')(BasicAuthStrategy);
await new Promise((resolve) => setImmediate(resolve));
process.stdout.write(JSON.stringify(asked));
`;

describe('BasicAuthStrategy and Node’s Buffer() deprecation check', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lfs-depot-dep0005-'));
    await mkdir(path.join(dir, 'node_modules/injector'), { recursive: true });
    await writeFile(
      path.join(dir, 'node_modules/injector/index.js'),
      'module.exports = (Strategy) => new Strategy({});\n',
    );
    await writeFile(path.join(dir, 'program.mjs'), PROGRAM);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('settles it once, silenced, when built from inside node_modules', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      path.join(dir, 'program.mjs'),
      pathToFileURL(STRATEGY).href,
    ]);

    // DEP0005 asked for once (and silenced) is what stops Node's stack walk on each passport-http sign-in.
    expect(JSON.parse(stdout)).toEqual([{ code: 'DEP0005', silenced: true }]);
  });
});
