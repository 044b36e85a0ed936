#!/usr/bin/env node
// Compares builds of lfs-depot on small-fetch's load, side by side: starts each (its own API, proxy and embedded
// PostgreSQL, as the benchmark does), pushes the same N × 4 KiB objects to each, then alternates `git lfs fetch --all`
// of them into fresh pointer-only clones between the builds, round after round, and prints each round's server CPU
// per object (proxy, API, PostgreSQL, from /proc) and wall time with the machine's load. On this shared machine only
// figures of the same minute compare; CPU per object is the steadier.
//
//   node bench/compare-fetch.mjs [--rounds 5] [--objects 1000] main=/tmp/main-copy new=.
//
// Each path is a checkout whose `npm run build` is done; each build is started by its own bench/lib/product.mjs. The
// git side (repository, clones, meters) is this checkout's small-fetch code, the same for every build.
import os from 'node:os';

import { comparisonCommandLine, comparisonWorkspace, median, startVariant } from './lib/compare.mjs';
import {
  fetchFrom,
  productMeter,
  productUrl,
  publishCommit,
  pushTo,
  smallRepository,
} from './scenarios/small-objects.mjs';

const { options, variants } = comparisonCommandLine(
  process.argv.slice(2),
  { rounds: 5, objects: 1000 },
  'node bench/compare-fetch.mjs [--rounds N] [--objects N] name=checkout[,VAR=value…] …',
);
const { rounds, objects: count } = options;
const { workDir, stacks, cleanUp } = await comparisonWorkspace('lfs-depot-compare-fetch-');

const perObject = (ms) => (ms / count).toFixed(3);
try {
  const ctx = { workDir };
  const repo = await smallRepository(ctx, 'compare', count);
  for (const variant of variants) {
    const { lib, product } = await startVariant(variant, workDir);
    const user = await lib.adminClient(product.url, product.adminToken).setUp('bench/fetch', 'bench');
    const stack = { variant, product, user, project: 'bench/fetch', rows: [] };
    stacks.push(stack);
    await pushTo(repo, productUrl(stack));
    console.log(`${variant.name}: ${variant.root} on ${product.url}`);
  }
  await publishCommit(repo);
  // One fetch each before measuring, so that no build is timed while its download path is still cold.
  for (const stack of stacks) {
    await fetchFrom(ctx, repo, productUrl(stack), `${stack.variant.name}-warm`);
  }
  for (let round = 1; round <= rounds; round += 1) {
    // Alternate who goes first, so neither always measures right after the other.
    for (const stack of round % 2 === 1 ? stacks : [...stacks].reverse()) {
      const meter = await productMeter(stack);
      const ms = await fetchFrom(ctx, repo, productUrl(stack), `${stack.variant.name}-${round}`);
      const cpu = meter.stop();
      stack.rows.push({ ...cpu, ms });
      console.log(
        `round ${round} ${stack.variant.name.padEnd(12)} CPU per object ${perObject(cpu.total)} ms (proxy ` +
          `${perObject(cpu.proxy)}, API ${perObject(cpu.api)}, PostgreSQL ${perObject(cpu.postgres)}); ` +
          `${(ms / 1000).toFixed(2)} s; load ${os.loadavg()[0].toFixed(1)}`,
      );
    }
  }
  for (const { variant, rows } of stacks) {
    const of = (key) => median(rows.map((row) => row[key]));
    console.log(
      `median ${variant.name.padEnd(12)} CPU per object ${perObject(of('total'))} ms (proxy ${perObject(of('proxy'))}, ` +
        `API ${perObject(of('api'))}, PostgreSQL ${perObject(of('postgres'))}); ${(of('ms') / 1000).toFixed(2)} s`,
    );
  }
} finally {
  await cleanUp();
}
