// `git lfs push` with the real git-lfs client: wall time of the push alone (the commit and the clean filter run
// before the clock starts), in a sandboxed HOME so the user's git settings play no part.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

import { git, lfsUrl, sandboxGitEnvironment } from '../../test/helpers/sandbox.mjs';
import { syntheticObject } from '../lib/content.mjs';
import { row, skipped } from '../lib/report.mjs';

const execFileAsync = promisify(execFile);
const MIB = 1024 * 1024;

export async function hasGitLfs() {
  try {
    await execFileAsync('git', ['lfs', 'version']);
    return true;
  } catch {
    return false;
  }
}

/** Commits `files` (written by `write(dir)`) in a new repository and times `git lfs push origin main`. */
async function timedPush(ctx, stack, name, write) {
  const home = path.join(ctx.workDir, `git-${name}`);
  const env = await sandboxGitEnvironment(home, { name: 'Bench', email: 'bench@example.com' });
  const work = path.join(home, 'work');
  await mkdir(work, { recursive: true });
  await git(work, env, 'init', '-q');
  await git(work, env, 'lfs', 'track', '*.bin');
  const bytes = await write(work);
  await git(work, env, 'add', '.');
  await git(work, env, 'commit', '-q', '-m', name);
  const bare = path.join(home, 'remote.git');
  await git(home, env, 'init', '-q', '--bare', bare);
  await git(work, env, 'remote', 'add', 'origin', bare);
  const url = lfsUrl(stack.product.url, stack.project, {
    username: stack.user.username,
    password: stack.user.token,
  });
  const started = performance.now();
  await git(work, env, '-c', `lfs.url=${url}`, 'lfs', 'push', 'origin', 'main');
  const ms = performance.now() - started;
  return { ms, bytes };
}

export async function gitPush(ctx, stack, { bigSize, smallCount, smallSize = 4096 }) {
  if (!(await hasGitLfs())) {
    return [skipped('git lfs push', 'git-lfs is not installed')];
  }
  const rows = [];
  const big = await timedPush(ctx, stack, 'big', async (work) => {
    const object = syntheticObject(bigSize, Date.now() % 100000);
    await pipeline(object.stream(), createWriteStream(path.join(work, 'big.bin'), { highWaterMark: MIB }));
    return bigSize;
  });
  const bigLabel = bigSize >= 1024 * MIB ? `${bigSize / (1024 * MIB)} GiB` : `${bigSize / MIB} MiB`;
  ctx.log(`  git lfs push 1 × ${bigLabel}: ${(big.ms / 1000).toFixed(2)} s`);
  rows.push(
    row({
      scenario: `git lfs push 1 × ${bigLabel}: wall time`,
      value: big.ms / 1000,
      unit: 's',
      note: `${(big.bytes / MIB / (big.ms / 1000)).toFixed(0)} MiB/s`,
    }),
    row({
      scenario: `git lfs push 1 × ${bigLabel}: throughput`,
      value: big.bytes / MIB / (big.ms / 1000),
      unit: 'MiB/s',
    }),
  );
  const small = await timedPush(ctx, stack, 'small', async (work) => {
    await mkdir(path.join(work, 'assets'), { recursive: true });
    for (let i = 0; i < smallCount; i += 1) {
      await writeFile(path.join(work, 'assets', `${i}.bin`), randomBytes(smallSize));
    }
    return smallCount * smallSize;
  });
  ctx.log(`  git lfs push ${smallCount} × ${smallSize / 1024} KiB: ${(small.ms / 1000).toFixed(2)} s`);
  rows.push(
    row({
      scenario: `git lfs push ${smallCount} × ${smallSize / 1024} KiB: wall time`,
      value: small.ms / 1000,
      unit: 's',
      note: `${(smallCount / (small.ms / 1000)).toFixed(0)} objects/s`,
    }),
    row({
      scenario: `git lfs push ${smallCount} × ${smallSize / 1024} KiB: throughput`,
      value: small.bytes / MIB / (small.ms / 1000),
      unit: 'MiB/s',
    }),
  );
  return rows;
}
