// Object transfers with a raw HTTP client: one big upload and its download, 16 concurrent uploads, and one huge
// upload generated on the fly. The same client code runs against the plain-Node baselines.
import { hashObject, syntheticObject } from '../lib/content.mjs';
import { cpuSampler, rssSampler } from '../lib/product.mjs';
import { row } from '../lib/report.mjs';
import { medianNote, medianRound } from '../lib/rounds.mjs';
import { getObject, mibPerSecond, putObject } from '../lib/transfer.mjs';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
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
  const result = await putObject(baselines.uploadUrl(object.oid), object.chunks(), object.size);
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
 * repetition uses new bytes, so nothing is deduplicated. `ctx.baselines` is the plain-Node server (local disk) or
 * the raw-S3 baseline (lib/s3-server.mjs); a null target reports the ratio without judging it. With `cpu`, rows of
 * the proxy's CPU seconds per GiB follow (the median of the rounds), and `serverPid` (s3rver) gets its CPU per GiB
 * for the baseline's and lfs-depot's transfers in the note, which shows which side the storage server limits.
 */
export async function singleTransfer(
  ctx,
  stack,
  { size, repeat, targets = { upload: 0.9, download: 0.9 }, prefix = '', cpu = false, serverPid },
) {
  const withBaseline = Boolean(ctx.baselines);
  const ups = [];
  const downs = [];
  const cpus = { up: [], down: [], serverUp: [], serverDown: [], serverBaseUp: [], serverBaseDown: [] };
  const gib = size / GIB;
  /** Runs `work` while counting the proxy's and the storage server's CPU; pushes seconds per GiB to the lists. */
  const counted = async (work, proxyList, serverList) => {
    const proxy = cpuSampler(stack.product.proxyPid);
    const server = serverPid ? cpuSampler(serverPid) : undefined;
    const result = await work();
    const [proxySeconds, serverSeconds] = [proxy.stop(), server?.stop()];
    if (proxyList && proxySeconds !== null) {
      proxyList.push(proxySeconds / gib);
    }
    if (serverList && serverSeconds !== null && serverSeconds !== undefined) {
      serverList.push(serverSeconds / gib);
    }
    return result;
  };
  let peakRss = 0;
  for (let i = 0; i < repeat; i += 1) {
    const object = hashObject(syntheticObject(size, nextSeed++));
    const baseUp = withBaseline
      ? await counted(() => uploadToBaseline(ctx.baselines, object), undefined, cpus.serverBaseUp)
      : null;
    const rss = rssSampler(stack.product.proxyPid);
    const up = await counted(() => uploadToProduct(stack, object), cpus.up, cpus.serverUp);
    peakRss = Math.max(peakRss, rss.stop());
    const baseDown = withBaseline
      ? await counted(
          () => download(ctx.baselines.downloadUrl(object.oid), {}, size),
          undefined,
          cpus.serverBaseDown,
        )
      : null;
    const down = await counted(
      () => download(objectUrl(stack, object.oid), { authorization: stack.user.basic }, size),
      cpus.down,
      cpus.serverDown,
    );
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
  const serverNote = (base, product) =>
    serverPid && base.length > 0
      ? `storage server CPU ${median(base).toFixed(2)} s/GiB for the baseline, ${median(product).toFixed(2)} through lfs-depot`
      : '';
  return [
    transferRow(ctx, `${prefix}upload 1 × ${label(size)}, raw HTTP`, ups, {
      withBaseline,
      target: targets.upload,
      notes: [`proxy peak RSS ${peakRss.toFixed(0)} MiB`, serverNote(cpus.serverBaseUp, cpus.serverUp)],
    }),
    transferRow(ctx, `${prefix}download 1 × ${label(size)}, raw HTTP`, downs, {
      withBaseline,
      target: targets.download,
      notes: [serverNote(cpus.serverBaseDown, cpus.serverDown)],
    }),
    ...(cpu
      ? [
          cpuRow(`${prefix}upload 1 × ${label(size)}: proxy CPU per GiB`, cpus.up),
          cpuRow(`${prefix}download 1 × ${label(size)}: proxy CPU per GiB`, cpus.down),
        ]
      : []),
  ];
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** CPU seconds per GiB moved (reported only): the median of the rounds, every round in the note. */
function cpuRow(scenario, perGib) {
  if (perGib.length === 0) {
    return row({ scenario, value: null, unit: 's/GiB', note: 'not measured (no /proc)' });
  }
  return row({
    scenario,
    value: median(perGib),
    unit: 's/GiB',
    note: perGib.length > 1 ? `median of ${perGib.map((v) => v.toFixed(2)).join(', ')}` : '',
  });
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
  const round = medianRound(rounds);
  return row({
    scenario,
    value: round.value,
    unit: 'MiB/s',
    baseline: round.baseline,
    target: target === null || target === undefined ? undefined : { op: '>=', value: target, of: 'ratio' },
    judged: ctx.judged,
    note: [medianNote(round, 'MiB/s'), ...notes].filter(Boolean).join('; '),
  });
}

/**
 * `count` uploads at once; aggregate throughput = all bytes / wall time, against the baseline doing the same, back to
 * back, `repeat` times (new bytes each time); the median round (see medianRound). The peak RSS reported is the
 * highest of all rounds. `cpu` and `serverPid` as for singleTransfer.
 */
export async function concurrentUploads(
  ctx,
  stack,
  { count, size, repeat = 1, targets = { aggregate: 0.85, rss: 150 }, prefix = '', cpu = false, serverPid },
) {
  const withBaseline = Boolean(ctx.baselines);
  const total = count * size;
  const rounds = [];
  const proxyCpu = [];
  const serverCpu = { baseline: [], product: [] };
  let peak = 0;
  for (let round = 0; round < repeat; round += 1) {
    const objects = Array.from({ length: count }, () => hashObject(syntheticObject(size, nextSeed++)));
    let baseline = null;
    if (withBaseline) {
      const server = serverPid ? cpuSampler(serverPid) : undefined;
      const started = performance.now();
      await Promise.all(objects.map((object) => uploadToBaseline(ctx.baselines, object)));
      baseline = mibPerSecond(total, performance.now() - started);
      const seconds = server?.stop();
      if (seconds !== null && seconds !== undefined) {
        serverCpu.baseline.push(seconds / (total / GIB));
      }
    }
    const rss = rssSampler(stack.product.proxyPid);
    const proxy = cpuSampler(stack.product.proxyPid);
    const server = serverPid ? cpuSampler(serverPid) : undefined;
    const started = performance.now();
    await Promise.all(objects.map((object) => uploadToProduct(stack, object)));
    rounds.push({ value: mibPerSecond(total, performance.now() - started), baseline });
    peak = Math.max(peak, rss.stop());
    const [proxySeconds, serverSeconds] = [proxy.stop(), server?.stop()];
    if (proxySeconds !== null) {
      proxyCpu.push(proxySeconds / (total / GIB));
    }
    if (serverSeconds !== null && serverSeconds !== undefined) {
      serverCpu.product.push(serverSeconds / (total / GIB));
    }
    ctx.log(
      `  ${prefix}${count} concurrent uploads ${round + 1}/${repeat}: ${rounds[round].value.toFixed(0)} MiB/s (baseline ${baseline?.toFixed(0) ?? '-'}), proxy peak RSS ${peak.toFixed(0)} MiB so far`,
    );
  }
  const scenario = `${prefix}${count} concurrent uploads × ${label(size)}`;
  const serverNote =
    serverCpu.baseline.length > 0 && serverCpu.product.length > 0
      ? `storage server CPU ${median(serverCpu.baseline).toFixed(2)} s/GiB for the baseline, ${median(serverCpu.product).toFixed(2)} through lfs-depot`
      : '';
  return [
    transferRow(ctx, `${scenario}: aggregate`, rounds, {
      withBaseline,
      target: targets.aggregate,
      notes: [serverNote],
    }),
    row({
      scenario: `${scenario}: proxy peak RSS`,
      value: peak,
      unit: 'MiB',
      target: targets.rss ? { op: '<=', value: targets.rss, of: 'value' } : undefined,
    }),
    ...(cpu ? [cpuRow(`${scenario}: proxy CPU per GiB`, proxyCpu)] : []),
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
