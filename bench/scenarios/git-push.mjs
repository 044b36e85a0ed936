// `git lfs push` with the real git-lfs client: wall time of the push alone (the commit and the clean filter run
// before the clock starts), in a sandboxed HOME so the user's git settings play no part.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

import { git, lfsUrl, sandboxGitEnvironment } from '../../test/helpers/sandbox.mjs';
import { hashObject, syntheticObject } from '../lib/content.mjs';
import { cpuSampler } from '../lib/product.mjs';
import { row, skipped } from '../lib/report.mjs';
import { medianRound } from '../lib/rounds.mjs';
import { putObject } from '../lib/transfer.mjs';

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

/**
 * Commits `files` (written by `write(dir)`) in a new repository and times `git lfs push origin main`; `before` and
 * `after` run right around the push (`after`'s answer is returned as `measured`).
 */
async function timedPush(ctx, stack, name, write, { before, after } = {}) {
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
  before?.();
  const started = performance.now();
  await git(work, env, '-c', `lfs.url=${url}`, 'lfs', 'push', 'origin', 'main');
  const ms = performance.now() - started;
  return { ms, bytes, home, measured: after?.() };
}

/**
 * `git lfs push` of one big object against a raw `PUT` of an object of the same size (new bytes each, so nothing is
 * deduplicated), alternated `rounds` times, with the proxy's CPU time of each from /proc: what the git-lfs client's
 * way of sending costs the proxy beyond the bytes themselves. The median round by CPU ratio; its wall time too.
 */
async function bigPushRounds(ctx, stack, { size, rounds }) {
  const results = [];
  for (let i = 0; i < rounds; i += 1) {
    const rawPut = async () => {
      const raw = hashObject(syntheticObject(size, 700_000 + i));
      settleDisk();
      const cpu = cpuSampler(stack.product.proxyPid);
      const put = await putObject(
        `${stack.product.url}/${stack.project}.git/info/lfs/objects/${raw.oid}/${size}`,
        raw.chunks(),
        size,
        { authorization: stack.user.basic },
      );
      const spent = cpu.parts();
      if (put.status !== 200) {
        throw new Error(`raw PUT of ${size} bytes answered ${put.status}: ${put.body}`);
      }
      return { ms: put.ms, spent };
    };
    const gitPush = async () => {
      let cpu;
      const push = await timedPush(
        ctx,
        stack,
        `big-${i}`,
        async (work) => {
          const object = syntheticObject(size, 800_000 + i + (Date.now() % 100_000));
          await pipeline(
            object.stream(),
            createWriteStream(path.join(work, 'big.bin'), { highWaterMark: MIB }),
          );
          return size;
        },
        {
          // The commit wrote the object twice (the file and its copy under .git/lfs): written out first, so that
          // its writeback is not charged to the proxy's own writes as kernel time.
          before: () => {
            settleDisk();
            cpu = cpuSampler(stack.product.proxyPid);
          },
          after: () => cpu.parts(),
        },
      );
      await rm(push.home, { recursive: true, force: true });
      return { ms: push.ms, spent: push.measured };
    };
    // Each side goes first every other round: the kernel's cost of a GiB of new page cache grows as memory fills.
    const [first, second] = i % 2 === 0 ? [rawPut, gitPush] : [gitPush, rawPut];
    const one = await first();
    const other = await second();
    const [raw, push] = i % 2 === 0 ? [one, other] : [other, one];
    const total = (spent) => (spent === null ? null : spent.user + spent.system);
    results.push({ value: total(push.spent), baseline: total(raw.spent), ms: push.ms, rawMs: raw.ms });
    const cpu = (spent) =>
      spent === null
        ? 'unknown'
        : `${total(spent).toFixed(2)} s (user ${spent.user.toFixed(2)}, system ${spent.system.toFixed(2)})`;
    ctx.log(
      `  git lfs push 1 × ${label(size)} ${i + 1}/${rounds}: ${(push.ms / 1000).toFixed(2)} s, proxy CPU ${cpu(push.spent)}; raw PUT ${(raw.ms / 1000).toFixed(2)} s, proxy CPU ${cpu(raw.spent)}`,
    );
  }
  return results;
}

/** Writes out what is dirty in the page cache (`sync`), as the benchmark does between groups. */
function settleDisk() {
  spawnSync('sync', { stdio: 'ignore' });
}

function label(size) {
  return size >= 1024 * MIB ? `${size / (1024 * MIB)} GiB` : `${size / MIB} MiB`;
}

export async function gitPush(ctx, stack, { bigSize, bigRounds = 1, smallCount, smallSize = 4096 }) {
  if (!(await hasGitLfs())) {
    return [skipped('git lfs push', 'git-lfs is not installed')];
  }
  const rows = [];
  const rounds = await bigPushRounds(ctx, stack, { size: bigSize, rounds: bigRounds });
  const bigLabel = label(bigSize);
  const withCpu = rounds.every((r) => r.value !== null && r.baseline !== null);
  // Median by CPU ratio (lower is better, which a median does not mind).
  const big = withCpu ? medianRound(rounds) : rounds[0];
  rows.push(
    row({
      scenario: `git lfs push 1 × ${bigLabel}: wall time`,
      value: big.ms / 1000,
      unit: 's',
      note: `${(bigSize / MIB / (big.ms / 1000)).toFixed(0)} MiB/s; the raw PUT of that round ${(big.rawMs / 1000).toFixed(2)} s`,
    }),
    row({
      scenario: `git lfs push 1 × ${bigLabel}: throughput`,
      value: bigSize / MIB / (big.ms / 1000),
      unit: 'MiB/s',
    }),
  );
  if (withCpu) {
    rows.push(
      row({
        scenario: `git lfs push 1 × ${bigLabel}: proxy CPU against a raw PUT`,
        value: big.value,
        baseline: big.baseline,
        unit: 's',
        target: { op: '<=', value: 1.1, of: 'ratio' },
        judged: ctx.judged,
        note:
          rounds.length > 1
            ? `median of ${rounds.length} alternated rounds (CPU ratios ${big.ratios.map((r) => r.toFixed(3)).join(', ')})`
            : undefined,
      }),
    );
  }
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
