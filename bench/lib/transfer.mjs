// Raw HTTP transfers of one object: the same client code against the baselines and against lfs-depot.
import http from 'node:http';
import { once } from 'node:events';

/** PUTs the bytes of `chunks` (an iterable of Buffers totalling `size`); resolves to `{status, ms, body}`. */
export async function putObject(url, chunks, size, headers = {}) {
  const started = performance.now();
  const req = http.request(url, {
    method: 'PUT',
    agent: false,
    headers: { 'content-type': 'application/octet-stream', 'content-length': size, ...headers },
  });
  const answered = new Promise((resolve, reject) => {
    req.on('response', (res) => {
      const parts = [];
      res.on('data', (chunk) => parts.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  // An early answer (a denial) ends the upload; stop writing then instead of waiting for 'drain' forever.
  let done = false;
  answered.finally(() => (done = true)).catch(() => undefined);
  for (const chunk of chunks) {
    if (done) {
      break;
    }
    if (!req.write(chunk)) {
      await Promise.race([once(req, 'drain'), answered.catch(() => undefined)]);
    }
  }
  req.end();
  const { status, body } = await answered;
  return { status, body, ms: performance.now() - started };
}

/** GETs `url`, counting (and discarding) the body; resolves to `{status, bytes, ms}`. */
export function getObject(url, headers = {}) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => {
        bytes += chunk.length;
      });
      res.on('end', () => resolve({ status: res.statusCode, bytes, ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Throughput in MiB/s. */
export function mibPerSecond(bytes, ms) {
  return bytes / (1024 * 1024) / (ms / 1000);
}
