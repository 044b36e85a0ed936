#!/usr/bin/env node
// Compares builds of lfs-depot on the batch load, side by side: starts each (its own API, proxy and embedded
// PostgreSQL, as the benchmark does), then alternates 5 s loads of the benchmark's 100-object download batch between
// them, round after round, and prints each round's rate, p99 and the API's and proxy's CPU per batch (/proc) with
// the machine's load. On this shared machine only figures of the same minute compare; CPU per batch is the steadier.
//
//   node bench/compare-batch.mjs [--rounds 7] [--seconds 5] main=/tmp/main-copy new=. [nolog=.,LOG_LEVEL=warn]
//
// Each path is a checkout whose `npm run build` is done (its own dist/ and node_modules/@lfs-depot links); the
// benchmark's own code (bench/lib) is taken from each checkout, so each build is started as its benchmark would.
import os from 'node:os';
import path from 'node:path';

import { comparisonCommandLine, comparisonWorkspace, median, startVariant } from './lib/compare.mjs';

const { options, variants } = comparisonCommandLine(
  process.argv.slice(2),
  { rounds: 7, seconds: 5 },
  'node bench/compare-batch.mjs [--rounds N] [--seconds S] name=checkout[,VAR=value…] …',
);
const { rounds } = options;
const durationMs = options.seconds * 1000;
const { workDir, stacks, cleanUp } = await comparisonWorkspace('lfs-depot-compare-');

try {
  for (const variant of variants) {
    const scenarios = await import(path.join(variant.root, 'bench/scenarios/api.mjs'));
    const { lib, product } = await startVariant(variant, workDir);
    const stack = { variant, lib, product, rows: [] };
    stacks.push(stack);
    const user = await lib.adminClient(product.url, product.adminToken).setUp('bench/batch', 'bench');
    const objects = await scenarios.seedObjects({ product, user }, 'bench/batch', 100);
    stack.request = {
      method: 'POST',
      path: '/bench/batch.git/info/lfs/objects/batch',
      headers: {
        Accept: 'application/vnd.git-lfs+json',
        'Content-Type': 'application/vnd.git-lfs+json',
        Authorization: user.basic,
      },
      body: JSON.stringify({ operation: 'download', transfers: ['basic'], objects }),
    };
    console.log(`${variant.name}: ${variant.root} on ${product.url}`);
  }
  const { runLoad } = await import('./lib/http-load.mjs');
  for (let round = 1; round <= rounds; round += 1) {
    // Alternate who goes first, so neither always measures right after the other.
    for (const stack of round % 2 === 1 ? stacks : [...stacks].reverse()) {
      const { product, lib } = stack;
      await runLoad({ url: product.url, request: stack.request, durationMs: 1000 });
      const api = lib.cpuSampler(product.apiPid);
      const proxy = lib.cpuSampler(product.proxyPid);
      const load = await runLoad({ url: product.url, request: stack.request, durationMs });
      const row = {
        rps: load.rps,
        p99: load.p99,
        api: (api.stop() * 1000) / load.requests,
        proxy: (proxy.stop() * 1000) / load.requests,
      };
      stack.rows.push(row);
      const other = Object.keys(load.statuses).filter((status) => status !== '200');
      console.log(
        `round ${round} ${stack.variant.name.padEnd(12)} ${row.rps.toFixed(0).padStart(5)} req/s, p99 ${row.p99.toFixed(1).padStart(5)} ms; ` +
          `CPU per batch: API ${row.api.toFixed(3)} ms, proxy ${row.proxy.toFixed(3)} ms; load ${os.loadavg()[0].toFixed(1)}` +
          (other.length > 0 || load.errors > 0
            ? `; UNEXPECTED ${JSON.stringify(load.statuses)}, ${load.errors} errors`
            : ''),
      );
    }
  }
  for (const { variant, rows } of stacks) {
    const of = (key) => median(rows.map((row) => row[key]));
    console.log(
      `median ${variant.name.padEnd(12)} ${of('rps').toFixed(0)} req/s, p99 ${of('p99').toFixed(1)} ms; ` +
        `CPU per batch: API ${of('api').toFixed(3)} ms, proxy ${of('proxy').toFixed(3)} ms`,
    );
  }
} finally {
  await cleanUp();
}
