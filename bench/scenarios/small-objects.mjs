// Many small objects with the real git-lfs client, against baseline (e) (lib/lfs-baseline.mjs): `git lfs push` of
// N × 4 KiB (small-push) and `git lfs fetch --all` of them into a fresh clone (small-fetch). Wall time is the client's
// command alone; server CPU is read from /proc for proxy, API and the embedded PostgreSQL (with their children), and
// for baseline (e)'s process, over the same command.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { git, lfsUrl, sandboxGitEnvironment } from '../../test/helpers/sandbox.mjs';
import { cpuMeter } from '../lib/proc-cpu.mjs';
import { row, skipped } from '../lib/report.mjs';
import { medianNote, medianRound } from '../lib/rounds.mjs';
import { hasGitLfs } from './git-push.mjs';

const SIZE = 4096;

/** A committed repository of `count` new random objects of 4 KiB, and a bare remote the commit is pushed to. */
export async function smallRepository(ctx, name, count) {
  const home = path.join(ctx.workDir, `small-${name}`);
  const env = await sandboxGitEnvironment(home, { name: 'Bench', email: 'bench@example.com' });
  const work = path.join(home, 'work');
  await mkdir(path.join(work, 'assets'), { recursive: true });
  await git(work, env, 'init', '-q');
  await git(work, env, 'lfs', 'track', '*.bin');
  for (let i = 0; i < count; i += 1) {
    await writeFile(path.join(work, 'assets', `${i}.bin`), randomBytes(SIZE));
  }
  await git(work, env, 'add', '.');
  await git(work, env, 'commit', '-q', '-m', name);
  const bare = path.join(home, 'remote.git');
  await git(home, env, 'init', '-q', '--bare', bare);
  await git(work, env, 'remote', 'add', 'origin', bare);
  return { name, home, env, work, bare, count };
}

/**
 * Pushes the commit (not its LFS objects) to the bare remote for small-fetch's clones; only after the LFS pushes,
 * since `git lfs push origin main` sends nothing the remote's branch already has. --no-verify keeps git-lfs's
 * pre-push hook out of it.
 */
export async function publishCommit(repo) {
  await git(repo.work, repo.env, 'push', '-q', '--no-verify', 'origin', 'main');
}

/** The product's CPU meter: proxy, API and (embedded) PostgreSQL trees; the API's figure leaves PostgreSQL out. */
export async function productMeter(stack) {
  const roots = { proxy: stack.product.proxyPid, apiTree: stack.product.apiPid };
  const postmaster = await embeddedPostmasterPid(stack.product.dataDir);
  if (postmaster) {
    roots.postgres = postmaster;
  }
  const meter = cpuMeter(roots);
  return {
    stop() {
      const used = meter.stop();
      const postgres = used.postgres ?? 0;
      // The embedded PostgreSQL runs below the API, so the API's tree already holds it.
      return { proxy: used.proxy, api: used.apiTree - postgres, postgres, total: used.proxy + used.apiTree };
    },
    countsDatabase: Boolean(postmaster),
  };
}

async function embeddedPostmasterPid(dataDir) {
  try {
    return Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return undefined; // BENCH_DATABASE_URL: a server we cannot attribute
  }
}

async function timed(work) {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** The LFS URL of `stack`'s project, with its user's access token as the credentials. */
export function productUrl(stack) {
  return lfsUrl(stack.product.url, stack.project, {
    username: stack.user.username,
    password: stack.user.token,
  });
}

/** Times `git lfs push origin main` of `repo`'s objects to `url`. */
export async function pushTo(repo, url) {
  return timed(() => git(repo.work, repo.env, '-c', `lfs.url=${url}`, 'lfs', 'push', 'origin', 'main'));
}

/** Times `git lfs fetch --all` from `url` in a new clone (pointers only) of `repo`'s remote. */
export async function fetchFrom(ctx, repo, url, label) {
  const clone = path.join(repo.home, `clone-${label}-${randomBytes(3).toString('hex')}`);
  await git(repo.home, { ...repo.env, GIT_LFS_SKIP_SMUDGE: '1' }, 'clone', '-q', repo.bare, clone);
  const ms = await timed(() =>
    git(clone, repo.env, '-c', `lfs.url=${url}`, 'lfs', 'fetch', '--all', 'origin'),
  );
  // Pointers stay in the work tree (no checkout), so count what arrived in the clone's LFS store.
  const fetched = (await readdir(path.join(clone, '.git/lfs/objects'), { recursive: true })).filter((entry) =>
    /[0-9a-f]{64}$/.test(entry),
  ).length;
  if (fetched !== repo.count) {
    throw new Error(
      `git lfs fetch --all from ${label} left ${repo.count - fetched} of ${repo.count} objects missing`,
    );
  }
  return ms;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

function cpuNote(rounds, countsDatabase) {
  const ms = (value) => value.toFixed(2);
  const picked = rounds.find((r) => r.cpu.total === median(rounds.map((x) => x.cpu.total)));
  const per = (value) => ms(value / picked.count);
  return (
    `median of ${rounds.length} rounds (${rounds.map((r) => ms(r.cpu.total / r.count)).join(', ')} ms); that round: ` +
    `proxy ${per(picked.cpu.proxy)}, API ${per(picked.cpu.api)}, ` +
    (countsDatabase
      ? `PostgreSQL ${per(picked.cpu.postgres)}`
      : 'PostgreSQL not counted (BENCH_DATABASE_URL)') +
    ` ms per object; baseline (e) ${per(picked.baselineCpu)} ms`
  );
}

function rows(ctx, label, rounds, { cpuTarget, rateTarget, countsDatabase }) {
  const count = rounds[0].count;
  const perSecond = rounds.map((r) => ({
    value: r.count / (r.ms / 1000),
    baseline: r.count / (r.baselineMs / 1000),
  }));
  const chosen = medianRound(perSecond);
  const cpuPerObject = median(rounds.map((r) => r.cpu.total / r.count));
  return [
    row({
      scenario: `${label} ${count} × 4 KiB: rate`,
      value: chosen.value,
      unit: 'objects/s',
      baseline: chosen.baseline,
      target: rateTarget ? { op: '>=', value: rateTarget, of: 'ratio' } : undefined,
      judged: ctx.judged,
      note: [
        `${((count / chosen.value) * 1).toFixed(2)} s against ${(count / chosen.baseline).toFixed(2)} s`,
        medianNote(chosen, 'objects/s'),
      ]
        .filter(Boolean)
        .join('; '),
    }),
    row({
      scenario: `${label} ${count} × 4 KiB: server CPU per object`,
      value: cpuPerObject,
      unit: 'ms',
      target: cpuTarget ? { op: '<=', value: cpuTarget, of: 'value' } : undefined,
      judged: ctx.judged,
      note: cpuNote(rounds, countsDatabase),
    }),
  ];
}

/**
 * `git lfs push` of `count` new 4 KiB objects to baseline (e) and then to lfs-depot, `rounds` times with new bytes
 * each time. Leaves the last round's repository in `ctx.smallObjects` for small-fetch.
 */
export async function smallPush(ctx, stack, lfsBaseline, { count, rounds }) {
  if (!(await hasGitLfs())) {
    return [skipped('git lfs push (small objects)', 'git-lfs is not installed')];
  }
  const results = [];
  let countsDatabase = false;
  for (let round = 0; round < rounds; round += 1) {
    const repo = await smallRepository(ctx, `push-${round}`, count);
    const baselineMeter = cpuMeter({ baseline: lfsBaseline.pid });
    const baselineMs = await pushTo(repo, lfsBaseline.lfsUrl(repo.name));
    const baselineCpu = baselineMeter.stop().total;
    const meter = await productMeter(stack);
    countsDatabase = meter.countsDatabase;
    const ms = await pushTo(repo, productUrl(stack));
    const cpu = meter.stop();
    ctx.log(
      `  git lfs push ${count} × 4 KiB: ${(ms / 1000).toFixed(2)} s against ${(baselineMs / 1000).toFixed(2)} s; ` +
        `CPU ${(cpu.total / count).toFixed(2)} ms per object (proxy ${(cpu.proxy / count).toFixed(2)}, API ` +
        `${(cpu.api / count).toFixed(2)}, PostgreSQL ${(cpu.postgres / count).toFixed(2)}) against ${(baselineCpu / count).toFixed(2)}`,
    );
    results.push({ count, ms, baselineMs, cpu, baselineCpu });
    await publishCommit(repo);
    ctx.smallObjects = repo;
  }
  return rows(ctx, 'git lfs push', results, { cpuTarget: 1.5, rateTarget: 0.6, countsDatabase });
}

/** `git lfs fetch --all` of small-push's last objects (pushed here first if it did not run) from (e), then lfs-depot. */
export async function smallFetch(ctx, stack, lfsBaseline, { count, rounds }) {
  if (!(await hasGitLfs())) {
    return [skipped('git lfs fetch --all (small objects)', 'git-lfs is not installed')];
  }
  let repo = ctx.smallObjects;
  if (!repo) {
    repo = await smallRepository(ctx, 'fetch', count);
    await pushTo(repo, lfsBaseline.lfsUrl(repo.name));
    await pushTo(repo, productUrl(stack));
    await publishCommit(repo);
  }
  const results = [];
  let countsDatabase = false;
  for (let round = 0; round < rounds; round += 1) {
    const baselineMeter = cpuMeter({ baseline: lfsBaseline.pid });
    const baselineMs = await fetchFrom(ctx, repo, lfsBaseline.lfsUrl(repo.name), 'baseline');
    const baselineCpu = baselineMeter.stop().total;
    const meter = await productMeter(stack);
    countsDatabase = meter.countsDatabase;
    const ms = await fetchFrom(ctx, repo, productUrl(stack), 'lfs-depot');
    const cpu = meter.stop();
    ctx.log(
      `  git lfs fetch --all ${repo.count} × 4 KiB: ${(ms / 1000).toFixed(2)} s against ${(baselineMs / 1000).toFixed(2)} s; ` +
        `CPU ${(cpu.total / repo.count).toFixed(2)} ms per object against ${(baselineCpu / repo.count).toFixed(2)}`,
    );
    results.push({ count: repo.count, ms, baselineMs, cpu, baselineCpu });
  }
  return rows(ctx, 'git lfs fetch --all', results, { cpuTarget: 0.6, countsDatabase });
}
