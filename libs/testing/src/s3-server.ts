import { mkdtemp, readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
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
  stop(): Promise<void>;
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
export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  const s3rver = new S3rver({ directory, silent: true, configureBuckets: [{ name: BUCKET }] });
  makeOverwritesAtomic(s3rver);
  keepFoldersOnDelete(s3rver);
  await s3rver.configureBuckets();
  const s3rverListener = s3rver.callback();
  const uploadsDirectory = path.join(directory, BUCKET, UPLOADS_FOLDER);

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const [, bucket, ...key] = url.pathname.split('/');
    const uploadId = url.searchParams.get('uploadId');
    if (request.method === 'DELETE' && bucket === BUCKET && key.length > 0 && uploadId !== null) {
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: BUCKET,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    async stop() {
      // SDK clients keep connections alive; without this close() would wait for them to time out.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
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
