#!/usr/bin/env node
// `npm test`: builds, provides a PostgreSQL (DATABASE_URL, or an embedded one started here), then runs every
// jest project (unit, integration, e2e). Each test file creates its own database on that server.
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const extraArgs = process.argv.slice(2);

const build = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
if (build.status !== 0) {
  process.exit(build.status ?? 1);
}

let embedded;
let embeddedDir;
const env = { ...process.env };
if (process.env.DATABASE_URL) {
  env.LFS_TEST_DATABASE_URL = process.env.DATABASE_URL;
  console.log(
    'Tests use PostgreSQL at DATABASE_URL' + (process.env.REDIS_URL ? ' and Redis at REDIS_URL' : ''),
  );
} else {
  const { startEmbeddedPostgres } = await import(
    path.join(root, 'dist/apps/api/src/database/embedded-postgres.js')
  );
  embeddedDir = await mkdtemp(path.join(os.tmpdir(), 'lfs-depot-testdb-'));
  // mkdtemp makes 0700 folders; the postgres user needs to reach the cluster inside.
  await chmod(embeddedDir, 0o755);
  embedded = await startEmbeddedPostgres(path.join(embeddedDir, 'cluster'));
  env.LFS_TEST_DATABASE_URL = embedded.url;
  console.log(
    'Tests use an embedded PostgreSQL' +
      (process.env.REDIS_URL ? ' and Redis at REDIS_URL' : ' and the in-memory cache'),
  );
}

const jest = spawnSync(
  process.execPath,
  [
    '--experimental-vm-modules',
    '--no-warnings=ExperimentalWarning',
    path.join(root, 'node_modules/jest/bin/jest.js'),
    ...extraArgs,
  ],
  { cwd: root, stdio: 'inherit', env },
);

if (embedded) {
  await embedded.stop();
  await rm(embeddedDir, { recursive: true, force: true });
}
process.exit(jest.status ?? 1);
