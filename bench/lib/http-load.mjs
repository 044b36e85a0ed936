// Request-rate load generator: N keep-alive connections, each sending its next request as soon as the previous
// answer is complete (closed loop, like wrk's default), with latencies recorded per request.
//
// node:http as a client tops out around 7,000 req/s on one core, which would make the client the thing being
// measured. This speaks HTTP/1.1 on raw sockets instead (requests serialized once, answers parsed just enough to
// find their end), spread over worker threads, so the server under test is the bottleneck.
import net from 'node:net';
import os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/**
 * @typedef {object} LoadRequest
 * @property {string} method
 * @property {string} path
 * @property {Record<string, string>} [headers]
 * @property {string} [body] `{{seq}}` in it is replaced by a number unique to the run (e.g. a new lock path).
 */

/**
 * Runs a closed-loop load for `durationMs` and returns `{requests, rps, p50, p90, p99, max, statuses, errors}`
 * (latencies in ms). `pipeline` > 1 sends that many requests per round trip: only for finding a server's limit.
 */
export async function runLoad({
  url,
  request,
  connections = 16,
  durationMs,
  threads = Math.min(2, os.availableParallelism()),
  pipeline = 1,
}) {
  const target = new URL(url);
  const perThread = Array.from(
    { length: threads },
    (_, i) => Math.floor(connections / threads) + (i < connections % threads ? 1 : 0),
  ).filter((n) => n > 0);
  const results = await Promise.all(
    perThread.map(
      (count, index) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), {
            workerData: {
              host: target.hostname,
              port: Number(target.port),
              request,
              connections: count,
              durationMs,
              pipeline,
              seqBase: index * 1e9 + (Date.now() % 1e6) * 1000,
            },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.once('exit', (code) => code !== 0 && reject(new Error(`load worker exited with ${code}`)));
        }),
    ),
  );
  const latencies = new Float64Array(results.reduce((sum, r) => sum + r.latencies.length, 0));
  let offset = 0;
  const statuses = {};
  let errors = 0;
  let elapsed = 0;
  for (const result of results) {
    latencies.set(result.latencies, offset);
    offset += result.latencies.length;
    for (const [status, count] of Object.entries(result.statuses)) {
      statuses[status] = (statuses[status] ?? 0) + count;
    }
    errors += result.errors;
    elapsed = Math.max(elapsed, result.elapsedMs);
  }
  latencies.sort();
  const at = (q) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : NaN;
  return {
    requests: latencies.length,
    rps: latencies.length / (elapsed / 1000),
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: latencies.length ? latencies[latencies.length - 1] : NaN,
    statuses,
    errors,
  };
}

function serialize(request, host, port, seq) {
  const body =
    request.body === undefined ? undefined : Buffer.from(request.body.replaceAll('{{seq}}', String(seq)));
  let head = `${request.method} ${request.path} HTTP/1.1\r\nHost: ${host}:${port}\r\n`;
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    head += `${name}: ${value}\r\n`;
  }
  if (body) {
    head += `Content-Length: ${body.length}\r\n`;
  }
  head += '\r\n';
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** Finds where one response ends in `buf` from `start`; -1 when more bytes are needed. */
function responseEnd(buf, start, state) {
  if (state.bodyStart < 0) {
    const headEnd = buf.indexOf(CRLF2, start);
    if (headEnd < 0) {
      return -1;
    }
    const head = buf.toString('latin1', start, headEnd).toLowerCase();
    state.status = Number(head.slice(9, 12));
    state.bodyStart = headEnd + 4;
    const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
    state.chunked = !length && /\r\ntransfer-encoding:[^\r]*chunked/.test(head);
    state.length = length ? Number(length[1]) : 0;
    state.close = /\r\nconnection:\s*close/.test(head);
    state.cursor = state.bodyStart;
  }
  if (!state.chunked) {
    return buf.length >= state.bodyStart + state.length ? state.bodyStart + state.length : -1;
  }
  // Chunked: walk "size\r\n data\r\n" until the zero chunk and its final CRLF (no trailers expected).
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', state.cursor, 'latin1');
    if (lineEnd < 0) {
      return -1;
    }
    const size = Number.parseInt(buf.toString('latin1', state.cursor, lineEnd), 16);
    if (size === 0) {
      return buf.length >= lineEnd + 4 ? lineEnd + 4 : -1;
    }
    if (buf.length < lineEnd + 2 + size + 2) {
      return -1;
    }
    state.cursor = lineEnd + 2 + size + 2;
  }
}

async function workerMain() {
  const { host, port, request, connections, durationMs, pipeline } = workerData;
  let seq = workerData.seqBase;
  const templated = request.body?.includes('{{seq}}');
  const fixed = templated ? undefined : serialize(request, host, port, 0);
  const batchOf = (n) => {
    if (!templated) {
      return n === 1 ? fixed : Buffer.concat(Array(n).fill(fixed));
    }
    return Buffer.concat(Array.from({ length: n }, () => serialize(request, host, port, seq++)));
  };
  const latencies = [];
  const statuses = {};
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;

  const connection = () =>
    new Promise((resolve) => {
      const socket = net.connect(port, host);
      socket.setNoDelay(true);
      let buf = Buffer.alloc(0);
      let state = { bodyStart: -1 };
      let sentAt = [];
      const send = () => {
        if (performance.now() >= deadline) {
          socket.end();
          return;
        }
        const now = performance.now();
        sentAt = Array(pipeline).fill(now);
        socket.write(batchOf(pipeline));
      };
      socket.on('connect', send);
      socket.on('data', (data) => {
        buf = buf.length ? Buffer.concat([buf, data]) : data;
        let start = 0;
        for (;;) {
          const end = responseEnd(buf, start, state);
          if (end < 0) {
            break;
          }
          latencies.push(performance.now() - sentAt.shift());
          statuses[state.status] = (statuses[state.status] ?? 0) + 1;
          const mustClose = state.close;
          state = { bodyStart: -1 };
          start = end;
          if (mustClose) {
            socket.destroy();
            return;
          }
          if (sentAt.length === 0) {
            send();
          }
        }
        buf = start === buf.length ? Buffer.alloc(0) : buf.subarray(start);
      });
      socket.on('error', () => {
        errors += 1;
      });
      socket.on('close', () => {
        // The server closed a connection (Connection: close, error): open another while time is left.
        if (performance.now() < deadline) {
          resolve(connection());
        } else {
          resolve();
        }
      });
    });

  await Promise.all(Array.from({ length: connections }, connection));
  parentPort.postMessage({
    latencies: Float64Array.from(latencies),
    statuses,
    errors,
    elapsedMs: Math.max(durationMs, performance.now() - started),
  });
}

if (!isMainThread && workerData?.request) {
  await workerMain();
}
