import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import {
  createServer,
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import S3rver from 's3rver';

/** A running throwaway S3 endpoint and what a client needs to reach its bucket. */
export interface S3TestServer {
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /**
   * Every request so far, as `METHOD key` (the key without the bucket), CopyObject as `COPY key` and with `?uploads`
   * or `?uploadId` when it has them: what a spec checks to tell which requests an upload made.
   */
  requests: string[];
  /**
   * With `enforceChecksums`, while true every PutObject that carries `x-amz-checksum-sha256` has one byte flipped on
   * arrival, as if damaged on the way: the server must then refuse it.
   */
  damagePutBodies: boolean;
  /**
   * With `enforceChecksums`, while true a PutObject that carries `x-amz-checksum-sha256` and is cut short of its
   * Content-Length stores the bytes that arrived, as s3rver and some S3-compatible servers do, and GETs and HEADs of
   * its key wait until that is done: a server on which uploads must not go straight to the object's key.
   */
  keepCutShortPutBodies: boolean;
  stop(): Promise<void>;
}

/** What an S3 client (or S3Storage) needs to reach `server`: its endpoint, region and keys, with path-style URLs. */
export function s3ConnectionOf(server: Pick<S3TestServer, 'endpoint' | 'region' | 'credentials'>): {
  endpoint: string;
  region: string;
  credentials: S3TestServer['credentials'];
  forcePathStyle: true;
} {
  return {
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
    forcePathStyle: true,
  };
}

export interface S3TestServerOptions {
  /**
   * Answer a PutObject that carries `x-amz-checksum-sha256` as AWS S3 does, where s3rver ignores the header and
   * stores whatever part of the body arrived: the body is stored only when it arrived complete (its Content-Length)
   * and hashes to that checksum; a mismatch answers 400 BadDigest and a cut-off request is dropped, storing nothing.
   * Such bodies are held in memory before s3rver sees them: small objects only.
   */
  enforceChecksums?: boolean;
}

const BUCKET = 'lfs-depot-test';
// s3rver's FilesystemStore keeps each multipart upload in <directory>/<bucket>/._S3rver_uploads/<uploadId>/.
const UPLOADS_FOLDER = '._S3rver_uploads';

/**
 * Starts s3rver on 127.0.0.1 (random port) in a fresh temporary directory with one empty bucket.
 *
 * s3rver 3.7 implements neither AbortMultipartUpload nor ListMultipartUploads, so this server answers those two
 * itself from s3rver's upload folders (without checking signatures, in one page, with `prefix` as the only
 * parameter): specs can then prove that a failed upload aborts its multipart upload, and that the sweep aborts those
 * of crashed uploads, using the same API calls as against real S3.
 */
export async function startS3Server(options: S3TestServerOptions = {}): Promise<S3TestServer> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  const s3rver = new S3rver({ directory, silent: true, configureBuckets: [{ name: BUCKET }] });
  makeOverwritesAtomic(s3rver);
  keepFoldersOnDelete(s3rver);
  await s3rver.configureBuckets();
  const s3rverListener = s3rver.callback();
  const uploadsDirectory = path.join(directory, BUCKET, UPLOADS_FOLDER);

  const requests: string[] = [];
  // Where checked PutObjects go on to s3rver (enforceChecksums only).
  const checkedServer: Server | undefined = options.enforceChecksums
    ? await listenOnLoopback(createServer(s3rverListener))
    : undefined;
  const state = { damagePutBodies: false, keepCutShortPutBodies: false };
  // The checked PutObjects in progress, by path (keepCutShortPutBodies only): the reads of their key wait for them.
  const checkedPuts = new Map<string, Promise<void>>();
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const [, bucket, ...key] = url.pathname.split('/');
    const uploadId = url.searchParams.get('uploadId');
    const copy = request.headers['x-amz-copy-source'] !== undefined;
    requests.push(
      `${copy ? 'COPY' : request.method} ${decodeURIComponent(key.join('/'))}` +
        (url.searchParams.has('uploads') ? '?uploads' : '') +
        (uploadId !== null ? '?uploadId' : ''),
    );
    if (
      options.enforceChecksums &&
      request.method === 'PUT' &&
      !copy &&
      uploadId === null &&
      typeof request.headers['x-amz-checksum-sha256'] === 'string'
    ) {
      const checked = putCheckingChecksum(request, response, state, {
        host: '127.0.0.1',
        port: (checkedServer?.address() as AddressInfo).port,
      });
      if (state.keepCutShortPutBodies) {
        checkedPuts.set(url.pathname, checked);
        void checked.finally(
          () => checkedPuts.get(url.pathname) === checked && checkedPuts.delete(url.pathname),
        );
      }
    } else if ((request.method === 'GET' || request.method === 'HEAD') && checkedPuts.has(url.pathname)) {
      void checkedPuts.get(url.pathname)?.finally(() => s3rverListener(request, response));
    } else if (request.method === 'DELETE' && bucket === BUCKET && key.length > 0 && uploadId !== null) {
      void respond(response, () => abortMultipartUpload(uploadsDirectory, uploadId));
    } else if (
      request.method === 'GET' &&
      bucket === BUCKET &&
      key.join('') === '' &&
      url.searchParams.has('uploads')
    ) {
      void respond(response, () =>
        listMultipartUploads(uploadsDirectory, url.searchParams.get('prefix') ?? ''),
      );
    } else {
      s3rverListener(request, response);
    }
  });
  await listenOnLoopback(server);
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: BUCKET,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requests,
    get damagePutBodies() {
      return state.damagePutBodies;
    },
    set damagePutBodies(value: boolean) {
      state.damagePutBodies = value;
    },
    get keepCutShortPutBodies() {
      return state.keepCutShortPutBodies;
    },
    set keepCutShortPutBodies(value: boolean) {
      state.keepCutShortPutBodies = value;
    },
    async stop() {
      // SDK clients keep connections alive; without this close() would wait for them to time out.
      await Promise.all([server, ...(checkedServer ? [checkedServer] : [])].map(closeServer));
      s3rver.logger.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * s3rver overwrites an object in place (truncate, then write), so a HEAD or GET during a second upload of the same
 * key sees a short object, which S3 never shows: there an overwrite is atomic. Writes of one key are queued here
 * and its reads wait for them, which gives the same guarantee to specs that race two uploads of one object.
 */
function makeOverwritesAtomic(s3rver: S3rver): void {
  const { store } = s3rver;
  const writing = new Map<string, Promise<unknown>>();
  const putObject = store.putObject.bind(store);
  const copyObject = store.copyObject.bind(store);
  const getObject = store.getObject.bind(store);
  const queue = <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const write = (writing.get(name) ?? Promise.resolve()).catch(() => undefined).then(run);
    writing.set(name, write);
    void write.catch(() => undefined).finally(() => writing.get(name) === write && writing.delete(name));
    return write;
  };
  store.putObject = (object) => queue(`${object.bucket}/${object.key}`, () => putObject(object));
  // A CopyObject onto a key overwrites it in place too (how a streamed upload publishes its temporary object).
  store.copyObject = (srcBucket, srcKey, destBucket, destKey, metadata) =>
    queue(`${destBucket}/${destKey}`, () => copyObject(srcBucket, srcKey, destBucket, destKey, metadata));
  store.getObject = async (bucket, key, options) => {
    await writing.get(`${bucket}/${key}`)?.catch(() => undefined);
    return getObject(bucket, key, options);
  };
}

/**
 * s3rver removes the folders a deleted object leaves empty, and a PUT into that folder meanwhile (it made the folder a
 * moment before) then fails to open its file, an error no one listens for, which ends the test process. S3 has no
 * folders, so deletes here only remove the object's files and leave the folders.
 */
function keepFoldersOnDelete(s3rver: S3rver): void {
  const { store } = s3rver;
  store.deleteObject = async (bucket, key) => {
    await Promise.all(
      (['object', 'object.md5', 'metadata.json'] as const).map((resource) =>
        unlink(store.getResourcePath(bucket, key, resource)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') {
            throw error;
          }
        }),
      ),
    );
  };
}

/**
 * Reads a PutObject's whole body and hands it to s3rver only when it is complete and hashes to its
 * `x-amz-checksum-sha256`; a cut-off body reaches nobody (unless `keepCutShortPutBodies`), a mismatch is answered
 * 400 BadDigest as by AWS S3. Settles once the request is answered or dropped and what it stores is stored.
 */
async function putCheckingChecksum(
  request: IncomingMessage,
  response: ServerResponse,
  state: { damagePutBodies: boolean; keepCutShortPutBodies: boolean },
  s3rverAddress: { host: string; port: number },
): Promise<void> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of request) {
      chunks.push(chunk as Buffer);
    }
  } catch {
    // The client cut the request short: the body ended here, complete or not.
  }
  const body = Buffer.concat(chunks);
  if (!request.complete || body.length !== Number(request.headers['content-length'])) {
    response.destroy();
    if (state.keepCutShortPutBodies) {
      await storeShortBody(request, body, s3rverAddress);
    }
    return;
  }
  if (state.damagePutBodies && body.length > 0) {
    body[body.length >> 1] ^= 0xff;
  }
  if (createHash('sha256').update(body).digest('base64') !== request.headers['x-amz-checksum-sha256']) {
    response.writeHead(400, { 'content-type': 'application/xml' });
    response.end(errorXml('BadDigest', 'The SHA256 you specified did not match the calculated checksum.'));
    return;
  }
  // The same request again, its body now from memory, to s3rver on a port of its own.
  const { expect: _continue, ...headers } = request.headers;
  const forwarded = httpRequest(
    { ...s3rverAddress, method: request.method, path: request.url, headers },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  forwarded.once('error', () => response.destroy());
  forwarded.end(body);
}

/**
 * Stores what arrived of a cut-off PutObject as its key's object, as s3rver does with a short body. Sent unsigned
 * (s3rver takes anonymous requests) since the client's signature covers the Content-Length it announced.
 */
async function storeShortBody(
  request: IncomingMessage,
  body: Buffer,
  s3rverAddress: { host: string; port: number },
): Promise<void> {
  await new Promise<void>((resolve) => {
    const stored = httpRequest(
      {
        ...s3rverAddress,
        method: 'PUT',
        path: request.url,
        headers: { 'content-length': body.length, 'content-type': 'application/octet-stream' },
      },
      (answer) => {
        answer.resume();
        answer.once('end', resolve);
        answer.once('error', () => resolve());
      },
    );
    stored.once('error', () => resolve());
    stored.end(body);
  });
}

async function listenOnLoopback(server: Server): Promise<Server> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return server;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

interface ShimAnswer {
  status: number;
  xml?: string;
}

async function respond(response: ServerResponse, answer: () => Promise<ShimAnswer>): Promise<void> {
  try {
    const { status, xml } = await answer();
    response.writeHead(status, xml === undefined ? {} : { 'content-type': 'application/xml' });
    response.end(xml);
  } catch (error) {
    response.writeHead(500, { 'content-type': 'application/xml' });
    response.end(errorXml('InternalError', String(error)));
  }
}

async function abortMultipartUpload(uploadsDirectory: string, uploadId: string): Promise<ShimAnswer> {
  const uploadDirectory = path.join(uploadsDirectory, uploadId);
  if (!/^[0-9a-f]+$/.test(uploadId) || !(await isDirectory(uploadDirectory))) {
    return { status: 404, xml: errorXml('NoSuchUpload', 'The specified upload does not exist.') };
  }
  await rm(uploadDirectory, { recursive: true, force: true });
  return { status: 204 };
}

/** The uploads whose key starts with `prefix`, with when each was started (its folder's creation). */
async function listMultipartUploads(uploadsDirectory: string, prefix: string): Promise<ShimAnswer> {
  const uploadIds = (await isDirectory(uploadsDirectory)) ? await readdir(uploadsDirectory) : [];
  const uploads = await Promise.all(
    uploadIds.map(async (uploadId) => {
      const folder = path.join(uploadsDirectory, uploadId);
      const key = await readFile(path.join(folder, 'key'), 'utf8');
      const initiated = (await stat(folder)).birthtime.toISOString();
      return key.startsWith(prefix)
        ? `<Upload><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId><Initiated>${initiated}</Initiated></Upload>`
        : '';
    }),
  );
  return {
    status: 200,
    xml:
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Bucket>${BUCKET}</Bucket><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
      uploads.join('') +
      '</ListMultipartUploadsResult>',
  };
}

async function isDirectory(folder: string): Promise<boolean> {
  try {
    return (await stat(folder)).isDirectory();
  } catch {
    return false;
  }
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);
}
