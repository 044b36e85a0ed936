// The S3-compatible server the test suite uses (s3rver), in its own child process so that its CPU is not the
// benchmark client's: `startS3Server(dir)` resolves to `{endpoint, bucket, region, credentials, pid, stop()}`.
//
// `rawS3Baseline(s3)` is the S3 runs' baseline: the benchmark's own client (lib/transfer.mjs, as against the proxy)
// PUTting the same bytes straight to s3rver as one plain request, and GETting them back, under a prefix of their
// own. s3rver takes unsigned requests, so the baseline pays no signing either: it is the fastest way into that
// server, the limit a proxy in front of it can approach.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { stopChild } from './child.mjs';

const BUCKET = 'lfs-depot-bench';

export async function startS3Server(directory) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', directory], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: BUCKET,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    pid: child.pid,
    stop: () => stopChild(child),
  };
}

/** The same URL interface as the plain-Node baselines (lib/baselines.mjs), pointing into s3rver. */
export function rawS3Baseline(s3) {
  const objectUrl = (oid) => `${s3.endpoint}/${s3.bucket}/raw-baseline/${oid}`;
  return { url: s3.endpoint, pid: s3.pid, uploadUrl: objectUrl, downloadUrl: objectUrl };
}

if (process.argv[2] === '--serve') {
  const { default: S3rver } = await import('s3rver');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: process.argv[3],
    silent: true,
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  process.send({ port });
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
}
