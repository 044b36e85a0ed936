// The S3-compatible server the test suite uses (s3rver), in its own child process so that its CPU is not the
// benchmark client's: `startS3Server(dir)` resolves to `{endpoint, bucket, region, credentials, stop()}`.
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
