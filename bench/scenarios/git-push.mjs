// `git lfs push` with the real git-lfs client: wall time of the push alone (the commit and the clean filter run
// before the clock starts), in a sandboxed HOME so the user's git settings play no part.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

import { syntheticObject } from '../lib/content.mjs';
import { row, skipped } from '../lib/report.mjs';

const execFileAsync = promisify(execFile);
const MIB = 1024 * 1024;

async function gitEnvironment(home) {
  await mkdir(home, { recursive: true });
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
    LANG: 'C',
  };
  await writeFile(
    path.join(home, '.gitconfig'),
    [
      '[init]',
      '\tdefaultBranch = main',
      '[filter "lfs"]',
      '\tclean = git-lfs clean -- %f',
      '\tsmudge = git-lfs smudge -- %f',
      '\tprocess = git-lfs filter-process',
      '\trequired = true',
      '[lfs]',
      '\tlocksverify = false',
      '[credential]',
      '\thelper = ',
      '',
    ].join('\n'),
  );
  return env;
}

async function git(cwd, env, ...args) {
  try {
    return await execFileAsync('git', args, { cwd, env, maxBuffer: 64 * MIB });
  } catch (error) {
    throw new Error(
      `git ${args.join(' ')} failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`,
      {
        cause: error,
      },
    );
  }
}

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
  const env = await gitEnvironment(home);
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
  const lfsUrl = new URL(`${stack.product.url}/${stack.project}.git/info/lfs`);
  lfsUrl.username = stack.user.username;
  lfsUrl.password = stack.user.token;
  const started = performance.now();
  await git(work, env, '-c', `lfs.url=${lfsUrl}`, 'lfs', 'push', 'origin', 'main');
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
