// Direct transfers on S3 (DIRECT_TRANSFERS=all): the client's bytes go to and from s3rver with presigned URLs, so
// an upload is batch + presigned PUT + verify (which proves the staged object and copies it into place) and a
// download batch + presigned GET. Alternated in rounds with the raw-S3 baseline, as singleTransfer does.
import { hashObject, syntheticObject } from '../lib/content.mjs';
import { cpuSampler } from '../lib/product.mjs';
import { row } from '../lib/report.mjs';
import { medianNote, medianRound } from '../lib/rounds.mjs';
import { getObject, mibPerSecond, putObject } from '../lib/transfer.mjs';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const LFS = 'application/vnd.git-lfs+json';
let nextSeed = 1_000_000;

async function batch(stack, operation, object) {
  const answer = await fetch(`${stack.product.url}/${stack.project}.git/info/lfs/objects/batch`, {
    method: 'POST',
    headers: { accept: LFS, 'content-type': LFS, authorization: stack.user.basic },
    body: JSON.stringify({ operation, objects: [{ oid: object.oid, size: object.size }] }),
  });
  const body = await answer.json();
  const actions = body.objects?.[0]?.actions;
  if (answer.status !== 200 || !actions) {
    throw new Error(`${operation} batch answered ${answer.status}: ${JSON.stringify(body)}`);
  }
  return actions;
}

/** Batch, PUT to the presigned URL, verify: what git-lfs does for one object. */
async function directUpload(stack, object) {
  const started = performance.now();
  const { upload, verify } = await batch(stack, 'upload', object);
  if (!upload.href.startsWith(stack.s3Endpoint)) {
    throw new Error(`upload action ${upload.href} does not point at S3: is DIRECT_TRANSFERS=all set?`);
  }
  const put = await putObject(upload.href, object.chunks(), object.size, upload.header);
  if (put.status !== 200) {
    throw new Error(`presigned PUT answered ${put.status}: ${put.body}`);
  }
  const verified = await fetch(verify.href, {
    method: 'POST',
    headers: { ...verify.header, accept: LFS, 'content-type': LFS },
    body: JSON.stringify({ oid: object.oid, size: object.size }),
  });
  if (verified.status === 503 && verified.headers.get('retry-after') !== null) {
    throw new StorageBusy(Number(verified.headers.get('retry-after')), await verified.text());
  }
  if (verified.status !== 200) {
    throw new Error(`verify answered ${verified.status}: ${await verified.text()}`);
  }
  return performance.now() - started;
}

/** A verify answered 503 with Retry-After: the bucket failed, nothing was stored, and the object is to be sent again. */
class StorageBusy extends Error {
  constructor(retryAfterSeconds, body) {
    super(`verify answered 503 (Retry-After ${retryAfterSeconds}): ${body}`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Attempts of one object before the scenario fails: git-lfs retries an object (lfs.transfer.maxretries, 8) too. */
const UPLOAD_ATTEMPTS = 3;

/**
 * directUpload as git-lfs goes about it: an object whose verify is answered 503 with Retry-After is uploaded again
 * after that wait. Times the attempt that succeeded (the CPU rows count every attempt); `retried` collects the 503s,
 * which the rows report.
 */
async function directUploadRetried(stack, object, retried) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await directUpload(stack, object);
    } catch (error) {
      if (!(error instanceof StorageBusy) || attempt === UPLOAD_ATTEMPTS) {
        throw error;
      }
      retried.push(error.message);
      await new Promise((resolve) => setTimeout(resolve, error.retryAfterSeconds * 1000));
    }
  }
}

async function directDownload(stack, object) {
  const started = performance.now();
  const { download } = await batch(stack, 'download', object);
  const got = await getObject(download.href, download.header ?? {});
  if (got.status !== 200 || got.bytes !== object.size) {
    throw new Error(`presigned GET answered ${got.status} with ${got.bytes} of ${object.size} bytes`);
  }
  return performance.now() - started;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function label(size) {
  return size >= GIB ? `${size / GIB} GiB` : `${size / MIB} MiB`;
}

/**
 * `repeat` rounds of: baseline PUT, direct upload, baseline GET, direct download, each with new bytes; rows of the
 * median round against the raw-S3 baseline (reported, not judged) and of the CPU seconds per GiB of the proxy, the API
 * and s3rver (`serverPid`) during the direct transfers.
 */
export async function directTransfer(ctx, stack, { size, repeat, prefix = 'S3 direct: ', serverPid }) {
  const gib = size / GIB;
  const ups = [];
  const downs = [];
  const cpu = { proxyUp: [], apiUp: [], serverUp: [], proxyDown: [], apiDown: [], serverDown: [] };
  const retried = [];
  const counted = async (work, lists) => {
    const samplers = [stack.product.proxyPid, stack.product.apiPid, serverPid].map((pid) =>
      pid ? cpuSampler(pid) : undefined,
    );
    const ms = await work();
    samplers.forEach((sampler, i) => {
      const seconds = sampler?.stop();
      if (seconds !== null && seconds !== undefined) {
        lists[i].push(seconds / gib);
      }
    });
    return ms;
  };
  for (let i = 0; i < repeat; i += 1) {
    const object = hashObject(syntheticObject(size, nextSeed++));
    const baseUp = (await putObject(ctx.baselines.uploadUrl(object.oid), object.chunks(), size)).ms;
    const up = await counted(
      () => directUploadRetried(stack, object, retried),
      [cpu.proxyUp, cpu.apiUp, cpu.serverUp],
    );
    const baseDown = (await getObject(ctx.baselines.downloadUrl(object.oid))).ms;
    const down = await counted(
      () => directDownload(stack, object),
      [cpu.proxyDown, cpu.apiDown, cpu.serverDown],
    );
    ups.push({ value: mibPerSecond(size, up), baseline: mibPerSecond(size, baseUp) });
    downs.push({ value: mibPerSecond(size, down), baseline: mibPerSecond(size, baseDown) });
    ctx.log(
      `  ${prefix}transfer ${i + 1}/${repeat}: up ${ups[i].value.toFixed(0)} MiB/s (baseline ${ups[i].baseline.toFixed(0)}), ` +
        `down ${downs[i].value.toFixed(0)} MiB/s (baseline ${downs[i].baseline.toFixed(0)})`,
    );
  }
  const throughput = (scenario, rounds, note) => {
    const round = medianRound(rounds);
    return row({
      scenario,
      value: round.value,
      unit: 'MiB/s',
      baseline: round.baseline,
      judged: ctx.judged,
      note: [medianNote(round, 'MiB/s'), note].filter(Boolean).join('; '),
    });
  };
  const cpuRow = (scenario, perGib) =>
    row({
      scenario,
      value: perGib.length > 0 ? median(perGib) : null,
      unit: 's/GiB',
      note:
        perGib.length > 0
          ? `median of ${perGib.map((v) => v.toFixed(2)).join(', ')}`
          : 'not measured (no /proc)',
    });
  const what = label(size);
  return [
    throughput(
      `${prefix}upload 1 × ${what} (batch, presigned PUT, verify)`,
      ups,
      [
        'verify re-hashes the staged object (DIRECT_UPLOAD_VERIFY=rehash) and copies it twice server-side',
        retried.length > 0 &&
          `${retried.length} upload(s) sent again after a 503, the attempt that succeeded timed (${retried.join('; ')})`,
      ]
        .filter(Boolean)
        .join('; '),
    ),
    throughput(`${prefix}download 1 × ${what} (batch, presigned GET)`, downs),
    cpuRow(`${prefix}upload 1 × ${what}: proxy CPU per GiB`, cpu.proxyUp),
    cpuRow(`${prefix}upload 1 × ${what}: API CPU per GiB`, cpu.apiUp),
    cpuRow(`${prefix}upload 1 × ${what}: s3rver CPU per GiB`, cpu.serverUp),
    cpuRow(`${prefix}download 1 × ${what}: proxy CPU per GiB`, cpu.proxyDown),
    cpuRow(`${prefix}download 1 × ${what}: API CPU per GiB`, cpu.apiDown),
  ];
}
