// Baseline (e): the small-object limit of a Git LFS server in plain Node, for the real git-lfs client to push to and
// fetch from. It does what lfs-depot must do for each object's bytes and no more: the batch API, a PUT hashed while
// it is written to a temp file, fsync, rename into a fan-out folder and fsync of that folder, the verify action, and
// downloads. Metadata lives in a Map (no database, no authentication, one process), so lfs-depot's ratio against it
// says what its database, authorization and two-process design cost per object.
//
//   POST <any>/info/lfs/objects/batch          upload: actions unless stored; download: actions or a 404 per object
//   PUT  /objects/<oid>/<size>                 SHA-256 and size checked; a mismatch stores nothing (422)
//   POST /verify                               200 when stored with that size, else 404
//   GET  /objects/<oid>                        the bytes
import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs, { createReadStream, promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { stopChild } from './child.mjs';

const MEDIA_TYPE = 'application/vnd.git-lfs+json';
const OID = /^[0-9a-f]{64}$/;
const fsync = promisify(fs.fsync);
const close = promisify(fs.close);
const open = promisify(fs.open);
const write = promisify(fs.write);

function serve(dir) {
  const stored = new Map(); // oid → size
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp, { recursive: true });
  let base = '';

  const json = (res, status, body) => {
    const bytes = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { 'content-type': MEDIA_TYPE, 'content-length': bytes.length });
    res.end(bytes);
  };

  const batch = async (req, res) => {
    const chunks = [];
    for await (const chunk of req) {
      chunks.push(chunk);
    }
    const { operation, objects } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const answers = objects.map(({ oid, size }) => {
      const known = stored.get(oid) === size;
      if (operation === 'upload') {
        return known
          ? { oid, size }
          : {
              oid,
              size,
              authenticated: true,
              actions: {
                upload: { href: `${base}/objects/${oid}/${size}`, expires_in: 3600 },
                verify: { href: `${base}/verify`, expires_in: 3600 },
              },
            };
      }
      return known
        ? {
            oid,
            size,
            authenticated: true,
            actions: { download: { href: `${base}/objects/${oid}`, expires_in: 3600 } },
          }
        : { oid, size, error: { code: 404, message: 'Object does not exist' } };
    });
    json(res, 200, { transfer: 'basic', objects: answers, hash_algo: 'sha256' });
  };

  const upload = async (req, res, oid, size) => {
    const temp = path.join(tmp, `${randomBytes(12).toString('hex')}.part`);
    const fd = await open(temp, 'wx');
    const hash = createHash('sha256');
    let received = 0;
    try {
      // Small bodies arrive in a few chunks: plain writes at the fd, in order, are all a 4 KiB object needs.
      for await (const chunk of req) {
        hash.update(chunk);
        received += chunk.length;
        let offset = 0;
        while (offset < chunk.length) {
          offset += (await write(fd, chunk, offset, chunk.length - offset)).bytesWritten;
        }
      }
      await fsync(fd);
    } finally {
      await close(fd);
    }
    if (received !== size || hash.digest('hex') !== oid) {
      await fsp.rm(temp, { force: true });
      json(res, 422, { message: 'the bytes do not match the oid and size' });
      return;
    }
    const folder = path.join(dir, oid.slice(0, 2), oid.slice(2, 4));
    await fsp.mkdir(folder, { recursive: true });
    await fsp.rename(temp, path.join(folder, oid));
    const handle = await fsp.open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    stored.set(oid, size);
    res.writeHead(200, { 'content-length': 0 });
    res.end();
  };

  const verify = async (req, res) => {
    const chunks = [];
    for await (const chunk of req) {
      chunks.push(chunk);
    }
    const { oid, size } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (stored.get(oid) === size) {
      res.writeHead(200, { 'content-length': 0 });
      res.end();
    } else {
      json(res, 404, { message: 'Object does not exist' });
    }
  };

  const download = (res, oid) => {
    const size = stored.get(oid);
    if (size === undefined) {
      json(res, 404, { message: 'Object does not exist' });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    createReadStream(path.join(dir, oid.slice(0, 2), oid.slice(2, 4), oid)).pipe(res);
  };

  const server = http.createServer(async (req, res) => {
    try {
      const url = req.url ?? '';
      const [, first, second, third] = url.split('?')[0].split('/');
      if (req.method === 'POST' && url.endsWith('/info/lfs/objects/batch')) {
        await batch(req, res);
      } else if (req.method === 'PUT' && first === 'objects' && OID.test(second) && /^\d+$/.test(third)) {
        await upload(req, res, second, Number(third));
      } else if (req.method === 'POST' && first === 'verify') {
        await verify(req, res);
      } else if (req.method === 'GET' && first === 'objects' && OID.test(second)) {
        download(res, second);
      } else {
        json(res, 404, { message: 'Not found' });
      }
    } catch (error) {
      if (!res.headersSent) {
        json(res, 500, { message: String(error) });
      } else {
        res.destroy();
      }
    }
  });
  server.keepAliveTimeout = 65_000;
  return {
    server,
    setBase(url) {
      base = url;
    },
  };
}

/** Starts baseline (e) in a child process on `dir`; resolves to `{url, lfsUrl, pid, stop()}`. */
export async function startLfsBaseline(dir) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', dir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`LFS baseline server exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    /** An LFS endpoint for a repository; the name only keeps runs apart in logs, objects are shared. */
    lfsUrl: (name) => `${url}/${name}.git/info/lfs`,
    pid: child.pid,
    stop: () => stopChild(child),
  };
}

if (process.argv[2] === '--serve') {
  const { server, setBase } = serve(process.argv[3]);
  server.listen(0, '127.0.0.1', () => {
    setBase(`http://127.0.0.1:${server.address().port}`);
    process.send({ port: server.address().port });
  });
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
}
