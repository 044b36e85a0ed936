// Object transfers with a raw HTTP client: one big upload and its download, 16 concurrent uploads, and one huge
// upload generated on the fly. The same client code runs against the plain-Node baselines.
import { hashObject, syntheticObject } from '../lib/content.mjs';
import { rssSampler } from '../lib/product.mjs';
import { row } from '../lib/report.mjs';
import { getObject, mibPerSecond, putObject } from '../lib/transfer.mjs';

const MIB = 1024 * 1024;
let nextSeed = 1;

function objectUrl(stack, oid, size) {
  return `${stack.product.url}/${stack.project}.git/info/lfs/objects/${oid}${size === undefined ? '' : `/${size}`}`;
}

async function uploadToProduct(stack, object) {
  const result = await putObject(objectUrl(stack, object.oid, object.size), object.chunks(), object.size, {
    authorization: stack.user.basic,
  });
  if (result.status !== 200) {
    throw new Error(`upload of ${object.size} bytes answered ${result.status}: ${result.body}`);
  }
  return result.ms;
}

async function uploadToBaseline(baselines, object) {
  const result = await putObject(`${baselines.url}/upload/${object.oid}`, object.chunks(), object.size);
  if (result.status !== 200) {
    throw new Error(`baseline upload answered ${result.status}: ${result.body}`);
  }
  return result.ms;
}

async function download(url, headers, size) {
  const result = await getObject(url, headers);
  if (result.status !== 200 || result.bytes !== size) {
    throw new Error(`download of ${url} answered ${result.status} with ${result.bytes} of ${size} bytes`);
  }
  return result.ms;
}

function label(size) {
  return size >= 1024 * MIB ? `${size / (1024 * MIB)} GiB` : `${size / MIB} MiB`;
}

/**
 * Upload then download of one object, alternating with the baselines `repeat` times; best of each, because noise
 * on a shared machine only ever slows a run down. Every repetition uses new bytes, so nothing is deduplicated.
 * With `baselines` undefined (S3), only lfs-depot's figures are reported.
 */
export async function singleTransfer(ctx, stack, { size, repeat, targets = true, prefix = '' }) {
  const best = { baseUp: Infinity, up: Infinity, baseDown: Infinity, down: Infinity };
  let peakRss = 0;
  for (let i = 0; i < repeat; i += 1) {
    const object = hashObject(syntheticObject(size, nextSeed++));
    if (ctx.baselines && targets) {
      best.baseUp = Math.min(best.baseUp, await uploadToBaseline(ctx.baselines, object));
    }
    const rss = rssSampler(stack.product.proxyPid);
    best.up = Math.min(best.up, await uploadToProduct(stack, object));
    peakRss = Math.max(peakRss, rss.stop());
    if (ctx.baselines && targets) {
      best.baseDown = Math.min(
        best.baseDown,
        await download(`${ctx.baselines.url}/download/${object.oid}`, {}, size),
      );
    }
    best.down = Math.min(
      best.down,
      await download(objectUrl(stack, object.oid), { authorization: stack.user.basic }, size),
    );
    ctx.log(
      `  ${prefix}transfer ${i + 1}/${repeat}: up ${mibPerSecond(size, best.up).toFixed(0)} MiB/s, down ${mibPerSecond(size, best.down).toFixed(0)} MiB/s (best so far)`,
    );
  }
  const withBaseline = ctx.baselines && targets;
  return [
    row({
      scenario: `${prefix}upload 1 × ${label(size)}, raw HTTP`,
      value: mibPerSecond(size, best.up),
      unit: 'MiB/s',
      baseline: withBaseline ? mibPerSecond(size, best.baseUp) : null,
      target: withBaseline ? { op: '>=', value: 0.9, of: 'ratio' } : undefined,
      judged: ctx.judged,
      note: `best of ${repeat}; proxy peak RSS ${peakRss.toFixed(0)} MiB`,
    }),
    row({
      scenario: `${prefix}download 1 × ${label(size)}, raw HTTP`,
      value: mibPerSecond(size, best.down),
      unit: 'MiB/s',
      baseline: withBaseline ? mibPerSecond(size, best.baseDown) : null,
      target: withBaseline ? { op: '>=', value: 0.9, of: 'ratio' } : undefined,
      judged: ctx.judged,
      note: `best of ${repeat}`,
    }),
  ];
}

/**
 * `count` uploads at once; aggregate throughput = all bytes / wall time, against the baseline doing the same.
 * Alternated with the baseline `repeat` times (new bytes each time), best of each, as single transfers are: on a
 * shared machine one pair of runs minutes apart differs by more than either side's own cost. The peak RSS reported
 * is the highest of all rounds.
 */
export async function concurrentUploads(
  ctx,
  stack,
  { count, size, repeat = 1, targets = true, prefix = '' },
) {
  const total = count * size;
  let baseline = null;
  let value = 0;
  let peak = 0;
  for (let round = 0; round < repeat; round += 1) {
    const objects = Array.from({ length: count }, () => hashObject(syntheticObject(size, nextSeed++)));
    if (ctx.baselines && targets) {
      const started = performance.now();
      await Promise.all(objects.map((object) => uploadToBaseline(ctx.baselines, object)));
      baseline = Math.max(baseline ?? 0, mibPerSecond(total, performance.now() - started));
    }
    const rss = rssSampler(stack.product.proxyPid);
    const started = performance.now();
    await Promise.all(objects.map((object) => uploadToProduct(stack, object)));
    value = Math.max(value, mibPerSecond(total, performance.now() - started));
    peak = Math.max(peak, rss.stop());
    ctx.log(
      `  ${prefix}${count} concurrent uploads ${round + 1}/${repeat}: ${value.toFixed(0)} MiB/s (baseline ${baseline?.toFixed(0) ?? '-'}) best so far, proxy peak RSS ${peak.toFixed(0)} MiB`,
    );
  }
  const scenario = `${prefix}${count} concurrent uploads × ${label(size)}`;
  return [
    row({
      scenario: `${scenario}: aggregate`,
      value,
      unit: 'MiB/s',
      baseline,
      target: baseline ? { op: '>=', value: 0.85, of: 'ratio' } : undefined,
      judged: ctx.judged,
      note: repeat > 1 ? `best of ${repeat}` : undefined,
    }),
    row({
      scenario: `${scenario}: proxy peak RSS`,
      value: peak,
      unit: 'MiB',
      target: targets ? { op: '<=', value: 150, of: 'value' } : undefined,
    }),
  ];
}

/** One upload whose bytes are generated while sending (never read from a file): proves memory stays flat. */
export async function hugeUpload(ctx, stack, { size }) {
  const object = hashObject(syntheticObject(size, nextSeed++));
  const rss = rssSampler(stack.product.proxyPid);
  const ms = await uploadToProduct(stack, object);
  const peak = rss.stop();
  ctx.log(
    `  1 × ${label(size)} generated upload: ${mibPerSecond(size, ms).toFixed(0)} MiB/s, proxy peak RSS ${peak.toFixed(0)} MiB`,
  );
  return [
    row({
      scenario: `upload 1 × ${label(size)} generated on the fly: proxy peak RSS`,
      value: peak,
      unit: 'MiB',
      target: { op: '<=', value: 150, of: 'value' },
      note: `${mibPerSecond(size, ms).toFixed(0)} MiB/s`,
    }),
  ];
}
