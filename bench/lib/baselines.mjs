// The three baselines: what plain Node does on this machine with no product around it. Each runs in its own child
// process, as the proxy does, so the client never shares an event loop with the server it measures.
//
// They are written to be as fast as plain Node allows (1 MiB buffers, no per-chunk allocation of our own, no
// framework), never weakened: the ratio lfs-depot / baseline is only honest when the baseline is the limit.
//
//   PUT  /upload/<name>    (a) SHA-256 while writing to <dir>/<name> (1 MiB write buffer), fsync, then 200
//   GET  /download/<name>  (b) fs.createReadStream with a 1 MiB read buffer
//   GET  /json             (c) a fixed JSON body
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs, { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { stopChild } from './child.mjs';

const MIB = 1024 * 1024;
const JSON_BODY = Buffer.from(JSON.stringify({ transfer: 'basic', objects: [], hash_algo: 'sha256' }));

function serve(dir) {
  const server = http.createServer(async (req, res) => {
    try {
      if (req.method === 'GET' && req.url === '/json') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': JSON_BODY.length });
        res.end(JSON_BODY);
      } else if (req.method === 'PUT' && req.url.startsWith('/upload/')) {
        await upload(req, path.join(dir, path.basename(req.url)));
        res.writeHead(200, { 'content-length': 0 });
        res.end();
      } else if (req.method === 'GET' && req.url.startsWith('/download/')) {
        const file = path.join(dir, path.basename(req.url));
        const { size } = await fsp.stat(file);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
        createReadStream(file, { highWaterMark: MIB }).pipe(res);
      } else {
        res.writeHead(404, { 'content-length': 0 });
        res.end();
      }
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    }
  });
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  return server;
}

/** Hashes each chunk as it arrives and writes it with backpressure; fsync before answering, as the product does. */
async function upload(req, file) {
  // A numeric fd: a FileHandle lent to a stream cannot be closed by us while the stream holds it.
  const fd = await promisify(fs.open)(file, 'w');
  const hash = createHash('sha256');
  const out = createWriteStream(file, { fd, highWaterMark: MIB, autoClose: false });
  await new Promise((resolve, reject) => {
    req.on('data', (chunk) => {
      hash.update(chunk);
      if (!out.write(chunk)) {
        req.pause();
      }
    });
    out.on('drain', () => req.resume());
    req.on('end', () => out.end());
    out.on('finish', resolve);
    out.on('error', reject);
    req.on('error', reject);
  });
  hash.digest('hex');
  await promisify(fs.fsync)(fd);
  await promisify(fs.close)(fd);
}

/** Starts the baseline server in a child process; resolves to `{url, pid, stop()}`. */
export async function startBaselines(dir) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', dir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`baseline server exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    pid: child.pid,
    uploadUrl: (oid) => `${url}/upload/${oid}`,
    downloadUrl: (oid) => `${url}/download/${oid}`,
    stop: () => stopChild(child),
  };
}

if (process.argv[2] === '--serve') {
  const server = serve(process.argv[3]);
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
}
