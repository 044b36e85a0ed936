// Object transfers with a raw HTTP client: one big upload and its download, 16 concurrent uploads, and one huge
// upload generated on the fly. The same client code runs against the plain-Node baselines.
import { hashObject, syntheticObject } from '../lib/content.mjs';
import { rssSampler } from '../lib/product.mjs';
import { row } from '../lib/report.mjs';
import { medianNote, medianRound } from '../lib/rounds.mjs';
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
 * Upload then download of one object, alternating with the baselines `repeat` times (each round: baseline upload,
 * lfs-depot upload, baseline download, lfs-depot download); the median round of each (see medianRound). Every
 * repetition uses new bytes, so nothing is deduplicated. With `baselines` undefined (S3), only lfs-depot's figures
 * are reported, the best of the rounds.
 */
export async function singleTransfer(ctx, stack, { size, repeat, targets = true, prefix = '' }) {
  const withBaseline = Boolean(ctx.baselines && targets);
  const ups = [];
  const downs = [];
  let peakRss = 0;
  for (let i = 0; i < repeat; i += 1) {
    const object = hashObject(syntheticObject(size, nextSeed++));
    const baseUp = withBaseline ? await uploadToBaseline(ctx.baselines, object) : null;
    const rss = rssSampler(stack.product.proxyPid);
    const up = await uploadToProduct(stack, object);
    peakRss = Math.max(peakRss, rss.stop());
    const baseDown = withBaseline
      ? await download(`${ctx.baselines.url}/download/${object.oid}`, {}, size)
      : null;
    const down = await download(objectUrl(stack, object.oid), { authorization: stack.user.basic }, size);
    ups.push({ value: mibPerSecond(size, up), baseline: withBaseline ? mibPerSecond(size, baseUp) : null });
    downs.push({
      value: mibPerSecond(size, down),
      baseline: withBaseline ? mibPerSecond(size, baseDown) : null,
    });
    const vs = (r) => (r.baseline === null ? '' : ` (baseline ${r.baseline.toFixed(0)})`);
    ctx.log(
      `  ${prefix}transfer ${i + 1}/${repeat}: up ${ups[i].value.toFixed(0)} MiB/s${vs(ups[i])}, down ${downs[i].value.toFixed(0)} MiB/s${vs(downs[i])}`,
    );
  }
  return [
    transferRow(ctx, `${prefix}upload 1 × ${label(size)}, raw HTTP`, ups, {
      withBaseline,
      target: 0.9,
      notes: [`proxy peak RSS ${peakRss.toFixed(0)} MiB`],
    }),
    transferRow(ctx, `${prefix}download 1 × ${label(size)}, raw HTTP`, downs, { withBaseline, target: 0.9 }),
  ];
}

/** One throughput row from alternated rounds: the median round against its baseline, or the best without one. */
function transferRow(ctx, scenario, rounds, { withBaseline, target, notes = [] }) {
  if (!withBaseline) {
    return row({
      scenario,
      value: Math.max(...rounds.map((r) => r.value)),
      unit: 'MiB/s',
      note: [rounds.length > 1 ? `best of ${rounds.length}` : '', ...notes].filter(Boolean).join('; '),
    });
  }
  const median = medianRound(rounds);
  return row({
    scenario,
    value: median.value,
    unit: 'MiB/s',
    baseline: median.baseline,
    target: { op: '>=', value: target, of: 'ratio' },
    judged: ctx.judged,
    note: [medianNote(median, 'MiB/s'), ...notes].filter(Boolean).join('; '),
  });
}

/**
 * `count` uploads at once; aggregate throughput = all bytes / wall time, against the baseline doing the same, back to
 * back, `repeat` times (new bytes each time); the median round (see medianRound). The peak RSS reported is the
 * highest of all rounds.
 */
export async function concurrentUploads(
  ctx,
  stack,
  { count, size, repeat = 1, targets = true, prefix = '' },
) {
  const withBaseline = Boolean(ctx.baselines && targets);
  const total = count * size;
  const rounds = [];
  let peak = 0;
  for (let round = 0; round < repeat; round += 1) {
    const objects = Array.from({ length: count }, () => hashObject(syntheticObject(size, nextSeed++)));
    let baseline = null;
    if (withBaseline) {
      const started = performance.now();
      await Promise.all(objects.map((object) => uploadToBaseline(ctx.baselines, object)));
      baseline = mibPerSecond(total, performance.now() - started);
    }
    const rss = rssSampler(stack.product.proxyPid);
    const started = performance.now();
    await Promise.all(objects.map((object) => uploadToProduct(stack, object)));
    rounds.push({ value: mibPerSecond(total, performance.now() - started), baseline });
    peak = Math.max(peak, rss.stop());
    ctx.log(
      `  ${prefix}${count} concurrent uploads ${round + 1}/${repeat}: ${rounds[round].value.toFixed(0)} MiB/s (baseline ${baseline?.toFixed(0) ?? '-'}), proxy peak RSS ${peak.toFixed(0)} MiB so far`,
    );
  }
  const scenario = `${prefix}${count} concurrent uploads × ${label(size)}`;
  return [
    transferRow(ctx, `${scenario}: aggregate`, rounds, { withBaseline, target: 0.85 }),
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
