// Request-rate scenarios through the proxy (which forwards them to the API): the batch API and the locks API, plus
// the number of SQL statements one batch costs.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { smallObject } from '../lib/content.mjs';
import { runLoad } from '../lib/http-load.mjs';
import { cpuSampler, ROOT } from '../lib/product.mjs';
import { row, skipped } from '../lib/report.mjs';
import { medianNote, medianRound } from '../lib/rounds.mjs';
import { putObject } from '../lib/transfer.mjs';

const LFS_TYPE = 'application/vnd.git-lfs+json';

function lfsHeaders(user) {
  return { Accept: LFS_TYPE, 'Content-Type': LFS_TYPE, Authorization: user.basic };
}

/** Uploads `count` small objects into `project` (16 at a time) and returns their `{oid, size}`. */
export async function seedObjects(stack, project, count) {
  const objects = Array.from({ length: count }, () => smallObject(64));
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const object = objects[next++];
      const url = `${stack.product.url}/${project}.git/info/lfs/objects/${object.oid}/${object.size}`;
      const result = await putObject(url, [object.data], object.size, { authorization: stack.user.basic });
      if (result.status !== 200) {
        throw new Error(`seeding ${project} answered ${result.status}: ${result.body}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return objects.map(({ oid, size }) => ({ oid, size }));
}

function batchBody(objects) {
  return JSON.stringify({ operation: 'download', transfers: ['basic'], objects });
}

/**
 * The request-rate limit of plain Node here, measured exactly as the product is: 16 keep-alive connections in a
 * closed loop with the same client. The pipelined figure (client cost taken out) is reported beside it; using it as
 * the baseline would compare two different measurements.
 */
async function measureJsonBaseline(ctx, { durationMs }) {
  const request = { method: 'GET', path: '/json', headers: { Accept: 'application/json' } };
  await runLoad({ url: ctx.baselines.url, request, durationMs: 500 });
  const closed = await runLoad({ url: ctx.baselines.url, request, durationMs });
  const pipelined = await runLoad({
    url: ctx.baselines.url,
    request,
    durationMs: Math.min(durationMs, 5000),
    pipeline: 8,
  });
  ctx.log(
    `  baseline (c) fixed JSON: ${closed.rps.toFixed(0)} req/s closed loop, ${pipelined.rps.toFixed(0)} req/s pipelined ×8`,
  );
  return { rps: closed.rps, closed, pipelined };
}

/**
 * The batch rate against baseline (c), measured back to back `rounds` times as the transfers are; the median round
 * (see medianRound), and that round's latencies.
 */
export async function batchLoad(ctx, stack, { durationMs, objects, rounds }) {
  const project = stack.batchProject;
  const body = batchBody(objects.slice(0, 100));
  const check = await fetch(`${stack.product.url}/${project}.git/info/lfs/objects/batch`, {
    method: 'POST',
    headers: lfsHeaders(stack.user),
    body,
  });
  const answer = await check.json();
  if (check.status !== 200 || answer.objects.some((o) => !o.actions?.download)) {
    throw new Error(`batch check answered ${check.status}: ${JSON.stringify(answer).slice(0, 500)}`);
  }
  const request = {
    method: 'POST',
    path: `/${project}.git/info/lfs/objects/batch`,
    headers: lfsHeaders(stack.user),
    body,
  };
  const measured = [];
  for (let round = 1; round <= rounds; round += 1) {
    const baseline = await measureJsonBaseline(ctx, { durationMs });
    await runLoad({ url: stack.product.url, request, durationMs: 1000 });
    const apiCpu = cpuSampler(stack.product.apiPid);
    const proxyCpu = cpuSampler(stack.product.proxyPid);
    const load = await runLoad({ url: stack.product.url, request, durationMs });
    // Milliseconds of CPU per request: steadier than the rate on a shared machine (see "Profiling notes").
    const cpu = { api: perRequest(apiCpu.stop(), load), proxy: perRequest(proxyCpu.stop(), load) };
    assertAllStatus(load, 200, 'batch');
    ctx.log(
      `  batch (download of 100) ${round}/${rounds}: ${load.rps.toFixed(0)} req/s, p50 ${load.p50.toFixed(1)} ms, p99 ${load.p99.toFixed(1)} ms; CPU per batch: API ${formatMs(cpu.api)}, proxy ${formatMs(cpu.proxy)}`,
    );
    measured.push({ value: load.rps, baseline: baseline.rps, load, jsonBaseline: baseline, cpu });
  }
  const median = medianRound(measured);
  const { load: result, jsonBaseline, cpu } = median;
  const how = medianNote(median, 'req/s');
  return [
    row({
      scenario: 'batch download of 100 objects, 16 connections: rate',
      value: result.rps,
      unit: 'req/s',
      baseline: jsonBaseline.rps,
      target: { op: '>=', value: 0.06, of: 'ratio' },
      judged: ctx.judged,
      note: `${how ? `${how}; ` : ''}${result.requests} requests in ${durationMs / 1000} s; CPU per batch: API ${formatMs(cpu.api)}, proxy ${formatMs(cpu.proxy)}${rounds > 1 ? ` (rounds: API ${measured.map((r) => formatMs(r.cpu.api)).join(', ')}; proxy ${measured.map((r) => formatMs(r.cpu.proxy)).join(', ')})` : ''}; baseline (c) = closed loop ${jsonBaseline.closed.rps.toFixed(0)} req/s, as the product is measured (pipelined: ${jsonBaseline.pipelined.rps.toFixed(0)} req/s)`,
    }),
    row({
      scenario: 'batch download of 100 objects, 16 connections: p99',
      value: result.p99,
      unit: 'ms',
      target: { op: '<', value: 25, of: 'value' },
      judged: ctx.judged,
      note: `${rounds > 1 ? 'of the median round; ' : ''}p50 ${result.p50.toFixed(1)} ms, p90 ${result.p90.toFixed(1)} ms, max ${result.max.toFixed(1)} ms`,
    }),
  ];
}

/** Milliseconds of CPU per request of `load`, from a cpuSampler's seconds (null where /proc was unreadable). */
function perRequest(seconds, load) {
  return seconds === null || load.requests === 0 ? null : (seconds * 1000) / load.requests;
}

function formatMs(ms) {
  return ms === null ? 'n/a' : `${ms.toFixed(3)} ms`;
}

function assertAllStatus(result, status, what) {
  const other = Object.entries(result.statuses).filter(([code]) => Number(code) !== status);
  if (other.length > 0 || result.errors > 0 || result.requests === 0) {
    throw new Error(
      `${what} load: unexpected answers ${JSON.stringify(result.statuses)}, ${result.errors} socket errors`,
    );
  }
}

/** A TypeORM logger that only counts the statements it is shown. */
class StatementCounter {
  count = 0;
  logQuery() {
    this.count += 1;
  }
  logQueryError() {}
  logQuerySlow() {}
  logSchemaBuild() {}
  logMigration() {}
  log() {}
}

/**
 * SQL statements per batch. The running API has no statement metric, so this builds a second copy of the same
 * built API in this process (dist/, exactly as main.js builds it) on the same database, with a TypeORM logger that
 * counts every statement, and sends it batches of 1, 100 and 1000 objects one at a time.
 */
export async function statementsPerBatch(ctx, stack, { databaseUrl, objects }) {
  const dist = (file) => pathToFileURL(path.join(ROOT, 'dist/apps/api/src', file)).href;
  await import('reflect-metadata');
  const { createApiApp } = await import(dist('api.app.js'));
  const { createDataSource } = await import(dist('database/data-source.js'));
  const { MemoryCache } = await import(dist('cache/memory.cache.js'));
  const { LinkCache } = await import(dist('cache/link-cache.js'));
  const { ApiSecrets } = await import(dist('core/api-secrets.js'));
  const { loadConfig } = await import('@lfs-depot/config');
  const { createStorage } = await import('@lfs-depot/storage');

  const config = loadConfig(
    {
      DATA_DIR: stack.product.dataDir,
      DATABASE_URL: databaseUrl,
      LFS_ADMIN_TOKEN: stack.product.adminToken,
      INTERNAL_SECRET: randomBytes(32).toString('hex'),
      PUBLIC_URL: stack.product.url,
      API_PORT: '0',
      PORT: '0',
      ...(stack.env.STORAGE ? { STORAGE: stack.env.STORAGE } : {}),
    },
    stack.product.dataDir,
  );
  const counter = new StatementCounter();
  const dataSource = createDataSource(databaseUrl, { poolSize: 4, logger: counter });
  await dataSource.initialize();
  const storage = await createStorage(config.storage);
  const app = await createApiApp(
    {
      config,
      dataSource,
      cache: new MemoryCache(),
      secrets: new ApiSecrets(
        stack.product.adminToken,
        randomBytes(32).toString('hex'),
        randomBytes(32).toString('hex'),
      ),
      storage,
    },
    {},
  );
  const rows = [];
  try {
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address();
    const links = app.get(LinkCache);
    const batchStatements = async (n, body) => {
      const before = counter.count;
      const response = await fetch(
        `http://127.0.0.1:${port}/${stack.batchProject}.git/info/lfs/objects/batch`,
        {
          method: 'POST',
          headers: lfsHeaders(stack.user),
          body,
        },
      );
      const answer = await response.json();
      if (response.status !== 200 || answer.objects.length !== n || answer.objects.some((o) => !o.actions)) {
        throw new Error(`batch of ${n} answered ${response.status}: ${JSON.stringify(answer).slice(0, 300)}`);
      }
      return counter.count - before;
    };
    // The figure is a batch whose objects the LinkCache does not know (emptied before each of three requests, after
    // a first one that warms the access lookups): the largest count of the three. Beside it, in the note, the same
    // batch once its links are remembered.
    const counts = [];
    const warmCounts = [];
    for (const n of [1, 100, 1000]) {
      const body = batchBody(objects.slice(0, n));
      await batchStatements(n, body);
      let cold = 0;
      for (let i = 0; i < 3; i += 1) {
        await links.invalidate();
        cold = Math.max(cold, await batchStatements(n, body));
      }
      let warm = 0;
      for (let i = 0; i < 3; i += 1) {
        warm = Math.max(warm, await batchStatements(n, body));
      }
      counts.push(cold);
      warmCounts.push(warm);
    }
    ctx.log(
      `  SQL statements per batch of 1 / 100 / 1000 objects: ${counts.join(' / ')} (links remembered: ${warmCounts.join(' / ')})`,
    );
    const constant = counts.every((c) => c === counts[0]) && warmCounts.every((c) => c === warmCounts[0]);
    [1, 100, 1000].forEach((n, i) => {
      const r = row({
        scenario: `SQL statements per batch of ${n} object${n === 1 ? '' : 's'}`,
        value: counts[i],
        unit: 'statements',
        target: { op: '<=', value: 5, of: 'value' },
        note: `objects not yet in the LinkCache; ${warmCounts[i]} once they are`,
      });
      if (!constant) {
        r.pass = false;
        r.note = `not constant: ${counts.join(' / ')}`;
      }
      rows.push(r);
    });
  } finally {
    await app.close();
    await dataSource.destroy();
    storage.destroy?.();
  }
  return rows;
}

/** Lock creation (a new path each time), then listing, each at 16 connections. */
export async function locksLoad(ctx, stack, { durationMs }) {
  const project = stack.locksProject;
  const base = `/${project}.git/info/lfs/locks`;
  const probe = await fetch(`${stack.product.url}${base}`, {
    method: 'POST',
    headers: lfsHeaders(stack.user),
    body: JSON.stringify({ path: 'probe.bin', ref: { name: 'refs/heads/main' } }),
  });
  await probe.text();
  if (probe.status === 404 || probe.status === 405) {
    return [skipped('locks create + list', 'locks API not available')];
  }
  if (probe.status !== 201) {
    throw new Error(`lock create answered ${probe.status}`);
  }
  const create = {
    method: 'POST',
    path: base,
    headers: lfsHeaders(stack.user),
    body: JSON.stringify({ path: 'assets/file-{{seq}}.bin', ref: { name: 'refs/heads/main' } }),
  };
  const created = await runLoad({ url: stack.product.url, request: create, durationMs });
  assertAllStatus(created, 201, 'lock create');
  const list = {
    method: 'GET',
    path: `${base}?limit=100`,
    headers: { Accept: LFS_TYPE, Authorization: stack.user.basic },
  };
  await runLoad({ url: stack.product.url, request: list, durationMs: 500 });
  const listed = await runLoad({ url: stack.product.url, request: list, durationMs });
  assertAllStatus(listed, 200, 'lock list');
  ctx.log(
    `  locks: create ${created.rps.toFixed(0)} req/s (p99 ${created.p99.toFixed(1)} ms), list ${listed.rps.toFixed(0)} req/s (p99 ${listed.p99.toFixed(1)} ms)`,
  );
  return [
    row({
      scenario: 'lock create, 16 connections: rate',
      value: created.rps,
      unit: 'req/s',
      note: `${created.requests} locks`,
    }),
    row({
      scenario: 'lock create, 16 connections: p99',
      value: created.p99,
      unit: 'ms',
      note: `p50 ${created.p50.toFixed(1)} ms`,
    }),
    row({
      scenario: 'lock list (page of 100), 16 connections: rate',
      value: listed.rps,
      unit: 'req/s',
      note: `${created.requests + 1} locks in the project`,
    }),
    row({
      scenario: 'lock list (page of 100), 16 connections: p99',
      value: listed.p99,
      unit: 'ms',
      note: `p50 ${listed.p50.toFixed(1)} ms`,
    }),
  ];
}
