#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --only transfers,batch,…]`: builds, starts lfs-depot as `npm start` does (API and
// proxy as child processes, embedded defaults unless BENCH_DATABASE_URL / BENCH_REDIS_URL / BENCH_STORAGE say
// otherwise), measures the plain-Node baselines on the same disk, runs every scenario, prints one table and writes
// it to bench/results/latest.md and latest.json. Everything it creates (temp folders, databases, S3 keys, child
// processes) is removed at the end, also on failure and Ctrl-C. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { startBaselines } from './lib/baselines.mjs';
import { startLfsBaseline } from './lib/lfs-baseline.mjs';
import { adminClient, embeddedDatabaseUrl, ROOT, startProduct } from './lib/product.mjs';
import { formatText, writeResults } from './lib/report.mjs';
import { rawS3Baseline, startS3Server } from './lib/s3-server.mjs';
import { directTransfer } from './scenarios/direct-transfers.mjs';
import { batchLoad, locksLoad, seedObjects, statementsPerBatch } from './scenarios/api.mjs';
import { gitPush } from './scenarios/git-push.mjs';
import { idleMemoryAfterStart, idleMemoryRows } from './scenarios/idle.mjs';
import { smallFetch, smallPush } from './scenarios/small-objects.mjs';
import { concurrentUploads, hugeUpload, singleTransfer } from './scenarios/transfers.mjs';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const GROUPS = [
  'idle',
  'transfers',
  'concurrent',
  'huge',
  'git',
  'small-push',
  'small-fetch',
  'batch',
  'sql',
  'locks',
  's3',
];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
// Bench only, and unsafe on s3rver (which keeps a cut-off PUT): see bench/README.md, "S3: uploads straight to the key".
const unsafeDirectKey = args.includes('--s3-unsafe-direct-key');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg
  ? new Set(
      (onlyArg.includes('=') ? onlyArg.split('=')[1] : (args[args.indexOf(onlyArg) + 1] ?? '')).split(','),
    )
  : new Set(GROUPS);
if (args.includes('--help')) {
  console.log(
    `usage: npm run bench [-- --quick] [-- --only ${GROUPS.join(',')}] [-- --s3-unsafe-direct-key]`,
  );
  process.exit(0);
}
for (const group of only) {
  if (!GROUPS.includes(group)) {
    console.error(`bench: unknown scenario group '${group}' (known: ${GROUPS.join(', ')})`);
    process.exit(2);
  }
}

const sizes = quick
  ? {
      single: 64 * MIB,
      repeat: 1,
      concurrent: 16,
      concurrentSize: 16 * MIB,
      concurrentRepeat: 1,
      huge: 256 * MIB,
      gitBig: 64 * MIB,
      gitBigRounds: 1,
      gitSmall: 200,
      smallObjects: 100,
      smallRounds: 1,
      loadMs: 3000,
      batchRounds: 1,
      s3Repeat: 1,
    }
  : {
      single: GIB,
      // Odd counts, so that the median round (bench/lib/rounds.mjs) is one round: this machine's speed swings by
      // ±30 % within minutes, so each scenario is measured back to back with its baseline several times.
      repeat: 5,
      concurrent: 16,
      concurrentSize: 256 * MIB,
      concurrentRepeat: 3,
      huge: 4 * GIB,
      gitBig: GIB,
      gitBigRounds: 3,
      gitSmall: 2000,
      smallObjects: 1000,
      smallRounds: 3,
      loadMs: 10_000,
      batchRounds: 3,
      s3Repeat: 3,
    };

const startedAt = Date.now();

/**
 * Writes out what earlier scenarios left dirty in the page cache before the next one starts: 16 concurrent uploads
 * leave gigabytes behind, and their writeback otherwise runs during the request-rate scenarios (in one run it halved
 * the batch rate, while the fixed-JSON baseline measured just before barely noticed).
 */
function settleDisk() {
  spawnSync('sync', { stdio: 'ignore' });
}
const log = (message) =>
  console.log(`[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)}s] ${message}`);

// ---- cleanup, whatever happens --------------------------------------------------------------------------------
const cleanups = [];
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      await step().catch((error) => console.error(`bench: cleanup step failed: ${error.message}`));
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.error(`\nbench: ${signal}, cleaning up…`);
    void cleanup().then(() => process.exit(130));
  });
}

// ---- build -----------------------------------------------------------------------------------------------------
function build() {
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-b', path.join(ROOT, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    throw new Error('the build failed; see the errors above');
  }
}

// ---- external services chosen with BENCH_* ---------------------------------------------------------------------
async function freshDatabase(baseUrl, suffix) {
  const { default: pg } = await import('pg');
  const name = `lfs_depot_bench_${Date.now()}_${process.pid}_${suffix}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: baseUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** BENCH_STORAGE, moved into a folder / key prefix of its own that is deleted afterwards. */
async function benchStorage(storage, runId) {
  if (storage.startsWith('file://')) {
    const root = path.join(new URL(storage).pathname, `lfs-depot-bench-${runId}`);
    await mkdir(root, { recursive: true });
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    return { url: `file://${root}`, baselineDir: `${root}-baseline` };
  }
  const url = new URL(storage);
  const prefix = `${url.pathname.replace(/^\/+|\/+$/g, '')}/lfs-depot-bench-${runId}`.replace(/^\//, '');
  url.pathname = `/${prefix}`;
  cleanups.push(() => deleteS3Prefix(url, prefix));
  return { url: url.toString(), baselineDir: undefined };
}

async function deleteS3Prefix(url, prefix) {
  const { S3Client, ListObjectsV2Command, DeleteObjectsCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    region: url.searchParams.get('region') ?? process.env.AWS_REGION ?? 'us-east-1',
    endpoint: url.searchParams.get('endpoint') ?? undefined,
    forcePathStyle: url.searchParams.get('forcePathStyle') === 'true',
  });
  const Bucket = url.hostname;
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: `${prefix}/` }));
    const keys = (page.Contents ?? []).map(({ Key }) => ({ Key }));
    if (keys.length === 0) {
      break;
    }
    await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys } }));
  }
  client.destroy();
}

// ---- a running lfs-depot with a user and its projects -------------------------------------------------------------
async function startStack({ name, workDir, env }) {
  const dataDir = path.join(workDir, name);
  await mkdir(dataDir, { recursive: true });
  // For profiling, e.g. BENCH_PROXY_EXEC_ARGV='--cpu-prof --cpu-prof-dir=/tmp/prof' (see bench/README.md).
  const flags = (variable) => (process.env[variable] ?? '').split(' ').filter(Boolean);
  const product = await startProduct({
    name,
    dataDir,
    env,
    proxyExecArgv: flags('BENCH_PROXY_EXEC_ARGV'),
    apiExecArgv: flags('BENCH_API_EXEC_ARGV'),
    logDir: workDir,
  });
  cleanups.push(() => product.stop());
  // Before the set-up below sends the first request.
  const idle = await idleMemoryAfterStart(product);
  const admin = adminClient(product.url, product.adminToken);
  const user = await admin.setUp('bench/transfers', 'bench');
  for (const project of ['bench/batch', 'bench/locks']) {
    await admin.ok('POST', '/projects', { path: project });
    await admin.ok('PUT', `/projects/${encodeURIComponent(project)}/members/bench`, { role: 'maintainer' });
  }
  return {
    name,
    product,
    idle,
    user,
    env,
    project: 'bench/transfers',
    batchProject: 'bench/batch',
    locksProject: 'bench/locks',
  };
}

// ---- the run ---------------------------------------------------------------------------------------------------------
async function main() {
  log(`lfs-depot benchmark (${quick ? 'quick' : 'full'}): ${[...only].join(', ')}`);
  build();
  const runId = `${Date.now()}-${randomBytes(3).toString('hex')}`;
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'lfs-depot-bench-'));
  // As root the embedded PostgreSQL runs as `postgres`, which must be able to traverse into DATA_DIR.
  await chmod(workDir, 0o755);
  cleanups.push(() => rm(workDir, { recursive: true, force: true }));
  log(`work folder ${workDir}`);

  const env = {};
  let databaseUrlFor = async (stack) => embeddedDatabaseUrl(stack.product.dataDir);
  if (process.env.BENCH_DATABASE_URL) {
    const url = await freshDatabase(process.env.BENCH_DATABASE_URL, 'main');
    env.DATABASE_URL = url;
    databaseUrlFor = async () => url;
  }
  if (process.env.BENCH_REDIS_URL) {
    env.REDIS_URL = process.env.BENCH_REDIS_URL;
  }
  let baselineDir = path.join(workDir, 'baseline');
  if (process.env.BENCH_STORAGE) {
    const storage = await benchStorage(process.env.BENCH_STORAGE, runId);
    env.STORAGE = storage.url;
    if (storage.baselineDir) {
      baselineDir = storage.baselineDir;
      cleanups.push(() => rm(baselineDir, { recursive: true, force: true }));
    }
  }
  await mkdir(baselineDir, { recursive: true });

  const ctx = { quick, judged: !quick, workDir, log, baselines: undefined };
  const rows = [];
  const errors = [];
  const attempt = async (name, work) => {
    if (!only.has(name)) {
      return;
    }
    log(`${name}…`);
    settleDisk();
    try {
      rows.push(...(await work()));
    } catch (error) {
      errors.push(`${name}: ${error.stack ?? error.message}`);
      rows.push({
        scenario: name,
        value: null,
        unit: null,
        baseline: null,
        ratio: null,
        target: null,
        pass: false,
        note: `error: ${error.message.split('\n')[0]}`,
      });
      log(`${name} FAILED: ${error.message}`);
    }
  };

  const baselines = await startBaselines(baselineDir);
  cleanups.push(() => baselines.stop());
  ctx.baselines = baselines;

  log('starting lfs-depot (main)…');
  const stack = await startStack({ name: 'main', workDir, env });
  log(
    `lfs-depot on ${stack.product.url} (proxy pid ${stack.product.proxyPid}, API pid ${stack.product.apiPid})`,
  );

  await attempt('idle', async () => idleMemoryRows(stack.idle));
  await attempt('transfers', () => singleTransfer(ctx, stack, { size: sizes.single, repeat: sizes.repeat }));
  await attempt('concurrent', () =>
    concurrentUploads(ctx, stack, {
      count: sizes.concurrent,
      size: sizes.concurrentSize,
      repeat: sizes.concurrentRepeat,
    }),
  );
  await attempt('huge', () => hugeUpload(ctx, stack, { size: sizes.huge }));
  await attempt('git', () =>
    gitPush(ctx, stack, { bigSize: sizes.gitBig, bigRounds: sizes.gitBigRounds, smallCount: sizes.gitSmall }),
  );

  let lfsBaseline;
  const smallObjectsBaseline = async () => {
    if (!lfsBaseline) {
      const dir = `${baselineDir}-lfs`;
      await mkdir(dir, { recursive: true });
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      lfsBaseline = await startLfsBaseline(dir);
      cleanups.push(() => lfsBaseline.stop());
    }
    return lfsBaseline;
  };
  const small = { count: sizes.smallObjects, rounds: sizes.smallRounds };
  await attempt('small-push', async () => smallPush(ctx, stack, await smallObjectsBaseline(), small));
  await attempt('small-fetch', async () => smallFetch(ctx, stack, await smallObjectsBaseline(), small));

  let batchObjects;
  const seeded = async () => (batchObjects ??= await seedObjects(stack, stack.batchProject, 1000));
  await attempt('batch', async () => {
    const objects = await seeded();
    return batchLoad(ctx, stack, { durationMs: sizes.loadMs, objects, rounds: sizes.batchRounds });
  });
  await attempt('locks', () => locksLoad(ctx, stack, { durationMs: sizes.loadMs }));
  await attempt('sql', async () =>
    statementsPerBatch(ctx, stack, { databaseUrl: await databaseUrlFor(stack), objects: await seeded() }),
  );

  if (only.has('s3')) {
    await attempt('s3', async () => {
      log('starting s3rver and lfs-depot (s3)…');
      const s3Dir = path.join(workDir, 's3rver');
      await mkdir(s3Dir, { recursive: true });
      const s3 = await startS3Server(s3Dir);
      cleanups.push(() => s3.stop());
      const s3Env = {
        STORAGE: `s3://${s3.bucket}/bench?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}&forcePathStyle=true`,
        AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
        ...(env.REDIS_URL ? { REDIS_URL: env.REDIS_URL } : {}),
      };
      if (process.env.BENCH_DATABASE_URL) {
        s3Env.DATABASE_URL = await freshDatabase(process.env.BENCH_DATABASE_URL, 's3');
      }
      const s3Stack = await startStack({ name: 's3', workDir, env: s3Env });
      // Against the raw-S3 baseline: the same bytes PUT and GET straight to the same s3rver, alternated in rounds.
      const s3Ctx = { ...ctx, baselines: rawS3Baseline(s3) };
      const measured = { prefix: 'S3: ', cpu: true, serverPid: s3.pid };
      return [
        ...(await singleTransfer(s3Ctx, s3Stack, {
          size: sizes.single,
          repeat: sizes.s3Repeat,
          targets: { upload: 0.8, download: null },
          ...measured,
        })),
        ...(await concurrentUploads(s3Ctx, s3Stack, {
          count: sizes.concurrent,
          size: sizes.concurrentSize,
          repeat: sizes.s3Repeat,
          targets: { aggregate: 0.8, rss: 150 },
          ...measured,
        })),
        ...(unsafeDirectKey ? await directKeyRows(s3Ctx, s3Env, s3.pid) : []),
        // The same bytes with DIRECT_TRANSFERS=all: a stack of its own, beside the same s3rver and baseline.
        ...(await directTransfer(
          s3Ctx,
          {
            ...(await startStack({
              name: 's3-direct',
              workDir,
              env: {
                ...s3Env,
                STORAGE: s3Env.STORAGE.replace('/bench?', '/bench-direct?'),
                DIRECT_TRANSFERS: 'all',
                ...(process.env.BENCH_DATABASE_URL && {
                  DATABASE_URL: await freshDatabase(process.env.BENCH_DATABASE_URL, 's3direct'),
                }),
              },
            })),
            s3Endpoint: s3.endpoint,
          },
          { size: sizes.single, repeat: sizes.s3Repeat, serverPid: s3.pid },
        )),
      ];
    });
  }

  /**
   * The proxied rows again with S3_ENFORCES_CHECKSUMS=true forced on s3rver, which does not check checksums: uploads
   * stream straight to the object's key, as they do on S3 and MinIO, which do. On s3rver a cut-off re-upload would
   * truncate a stored object, so this is for measuring what the copy costs, never for running.
   */
  async function directKeyRows(s3Ctx, s3Env, serverPid) {
    const directKeyStack = await startStack({
      name: 's3-direct-key',
      workDir,
      env: {
        ...s3Env,
        STORAGE: s3Env.STORAGE.replace('/bench?', '/bench-direct-key?'),
        S3_ENFORCES_CHECKSUMS: 'true',
        ...(process.env.BENCH_DATABASE_URL && {
          DATABASE_URL: await freshDatabase(process.env.BENCH_DATABASE_URL, 's3directkey'),
        }),
      },
    });
    const measured = {
      prefix: 'S3 straight to the key (unsafe on s3rver, bench only): ',
      cpu: true,
      serverPid,
    };
    return [
      ...(await singleTransfer(s3Ctx, directKeyStack, {
        size: sizes.single,
        repeat: sizes.s3Repeat,
        targets: { upload: 0.8, download: null },
        ...measured,
      })),
      ...(await concurrentUploads(s3Ctx, directKeyStack, {
        count: sizes.concurrent,
        size: sizes.concurrentSize,
        repeat: sizes.s3Repeat,
        targets: { aggregate: 0.8, rss: 150 },
        ...measured,
      })),
    ];
  }

  const meta = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    mode: quick ? '`--quick` (reduced sizes, timing not judged)' : 'full run',
    machine: `${os.availableParallelism()} cores (${os.cpus()[0]?.model.trim()}), ${(os.totalmem() / GIB).toFixed(0)} GiB RAM, Node ${process.version}`,
    database: env.DATABASE_URL ? 'PostgreSQL (BENCH_DATABASE_URL)' : 'embedded PostgreSQL',
    cache: env.REDIS_URL ? 'Redis' : 'in memory',
    storage: env.STORAGE ? `BENCH_STORAGE (${env.STORAGE.split(':')[0]})` : 'local disk',
  };
  console.log(`\n${formatText(rows)}\n`);
  const resultsDir = path.join(ROOT, 'bench/results');
  await writeResults(resultsDir, rows, meta);
  log(`results: ${path.relative(process.cwd(), path.join(resultsDir, 'latest.md'))} and latest.json`);
  const missed = rows.filter((r) => r.pass === false && !r.note?.startsWith('error'));
  if (missed.length > 0) {
    log(`targets missed: ${missed.map((r) => r.scenario).join('; ')}`);
  }
  return errors;
}

let exitCode = 0;
try {
  const errors = await main();
  if (errors.length > 0) {
    console.error(`\nbench: ${errors.length} scenario(s) failed:\n${errors.join('\n\n')}`);
    exitCode = 1;
  }
} catch (error) {
  console.error(`bench: ${error.stack ?? error.message}`);
  exitCode = 1;
} finally {
  log('cleaning up…');
  await cleanup();
  log('done');
}
process.exit(exitCode);
