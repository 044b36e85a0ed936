import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import type { Readable } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { UploadFinalizeRequest } from '@lfs-depot/contracts';
import { silentLogger } from '@lfs-depot/observability';
import type { ObjectStorage } from '@lfs-depot/storage';
import { objectKey } from '@lfs-depot/storage';
import { S3Storage } from '@lfs-depot/storage/s3';
import { closedPort } from '@lfs-depot/testing';

import type { ApiClient } from './api-client/api.client.js';
import { handleDownload } from './download/download.handler.js';
import { InFlightLimiter } from './http/in-flight-limiter.js';
import { ProxyMetrics } from './metrics.js';
import { handleUpload } from './upload/upload.handler.js';

const DATA = randomBytes(4096);
const OID = createHash('sha256').update(DATA).digest('hex');
/** S3_REQUEST_TIMEOUT_SECONDS of the S3 cases, small so that the SDK's retries of a hung call end soon. */
const S3_IDLE_MS = 200;

/** Stands in for the API: allows every upload and download, and records each finalize. */
class FakeApi {
  finalized: UploadFinalizeRequest[] = [];

  authorizeUpload(): Promise<unknown> {
    return Promise.resolve({
      storageKey: objectKey(OID),
      alreadyStored: false,
      ticket: 't',
      uploader: 'u-1',
    });
  }

  authorizeDownload(): Promise<unknown> {
    return Promise.resolve({ storageKey: objectKey(OID), size: DATA.length, user: 'alice' });
  }

  finalizeUpload(request: UploadFinalizeRequest): Promise<void> {
    this.finalized.push(request);
    return Promise.resolve();
  }
}

/** A disk that fails as Linux does: `put` reads the body and fails its write, `open` fails to read. */
function failingDisk(code: 'ENOSPC' | 'EIO' | 'EDQUOT'): ObjectStorage {
  const failure = (syscall: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`${code}: ${syscall} failed`), { code, syscall, errno: -5 });
  return {
    kind: 'file',
    put: async (_key: string, body: Readable) => {
      for await (const chunk of body) {
        void chunk;
      }
      throw failure('write');
    },
    verify: () => Promise.reject(failure('read')),
    stat: () => Promise.reject(failure('stat')),
    open: () => Promise.reject(failure('open')),
    delete: () => Promise.resolve(),
    check: () => Promise.resolve(),
    readMarker: () => Promise.reject(failure('read')),
    createMarker: () => Promise.reject(failure('write')),
  };
}

describe('storage failures on transfers', () => {
  let server: http.Server;
  let port: number;
  let storage: ObjectStorage;
  let metrics: ProxyMetrics;
  let api: FakeApi;
  let handlers: Promise<void>[];
  let hung: net.Server | undefined;
  const hungSockets = new Set<net.Socket>();

  beforeEach(async () => {
    handlers = [];
    metrics = new ProxyMetrics();
    api = new FakeApi();
    server = http.createServer((req, res) => {
      const deps = {
        api: api as unknown as ApiClient,
        storage,
        logger: silentLogger('proxy'),
        transfers: metrics.transfers,
        trustedProxyHops: 0,
        transferIdleMs: 60_000,
        uploads: new InFlightLimiter({ total: Number.MAX_SAFE_INTEGER, perClient: 16 }),
        downloads: new InFlightLimiter({ total: Number.MAX_SAFE_INTEGER, perClient: 16 }),
      };
      const route = { project: 'g/p', oid: OID };
      handlers.push(
        req.method === 'PUT'
          ? handleUpload({ ...route, size: DATA.length }, req, res, 'req-1', deps)
          : handleDownload(route, req, res, 'req-1', deps),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    for (const socket of hungSockets) {
      socket.destroy();
    }
    hungSockets.clear();
    await new Promise((resolve) => (hung ? hung.close(resolve) : resolve(undefined)));
    hung = undefined;
  });

  function s3At(endpoint: string): S3Storage {
    return new S3Storage({
      bucket: 'lfs',
      prefix: 'objects',
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test-secret' },
      connectTimeoutMs: 1000,
      requestTimeoutMs: S3_IDLE_MS,
    });
  }

  /** An S3 endpoint that accepts connections, reads what it is sent and never answers. */
  async function hungS3(): Promise<S3Storage> {
    hung = net.createServer((socket) => {
      hungSockets.add(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => hung?.listen(0, '127.0.0.1', resolve));
    return s3At(`http://127.0.0.1:${(hung.address() as AddressInfo).port}`);
  }

  async function refusingS3(): Promise<S3Storage> {
    return s3At(`http://127.0.0.1:${await closedPort()}`);
  }

  async function transfer(
    direction: 'upload' | 'download',
  ): Promise<{ status: number; headers: Headers; body: unknown }> {
    const url = `http://127.0.0.1:${port}/g/p.git/info/lfs/objects/${OID}${direction === 'upload' ? `/${DATA.length}` : ''}`;
    const response = await fetch(url, direction === 'upload' ? { method: 'PUT', body: DATA } : {});
    const text = await response.text();
    await Promise.allSettled(handlers);
    return { status: response.status, headers: response.headers, body: JSON.parse(text) as unknown };
  }

  async function storageErrors(direction: 'upload' | 'download'): Promise<number> {
    const { values } = await metrics.transfers.transfers.get();
    return (
      values.find((value) => value.labels.direction === direction && value.labels.outcome === 'storage_error')
        ?.value ?? 0
    );
  }

  /** The answer every unavailable storage gets: 503, Retry-After and the LFS JSON error, counted as storage_error. */
  async function expectUnavailable(direction: 'upload' | 'download'): Promise<void> {
    const answer = await transfer(direction);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
    expect(answer.headers.get('content-type')).toBe('application/vnd.git-lfs+json; charset=utf-8');
    expect(answer.body).toEqual({
      code: 'STORAGE_UNAVAILABLE',
      message: expect.stringMatching(/^Object storage is not available right now \(\w+\); nothing was/),
      retry_after_seconds: 5,
      request_id: 'req-1',
      documentation_url: expect.any(String),
    });
    expect(await storageErrors(direction)).toBe(1);
    expect(api.finalized).toEqual([]);
  }

  describe.each(['upload', 'download'] as const)('%s', (direction) => {
    it('answers 503 with Retry-After when S3 accepts the connection and never answers', async () => {
      storage = await hungS3();
      await expectUnavailable(direction);
    });

    it('answers 503 with Retry-After when S3 refuses connections', async () => {
      storage = await refusingS3();
      await expectUnavailable(direction);
    });

    it('answers 503 with Retry-After on a disk I/O error (EIO)', async () => {
      storage = failingDisk('EIO');
      await expectUnavailable(direction);
    });
  });

  it.each(['ENOSPC', 'EDQUOT'] as const)(
    'answers an upload onto a full disk (%s) 507 INSUFFICIENT_STORAGE and never finalizes',
    async (code) => {
      storage = failingDisk(code);

      const answer = await transfer('upload');

      expect(answer.status).toBe(507);
      expect(answer.headers.get('retry-after')).toBeNull();
      expect(answer.body).toMatchObject({
        code: 'INSUFFICIENT_STORAGE',
        message: 'The server has no storage space left for this object; nothing was stored',
        request_id: 'req-1',
      });
      expect(await storageErrors('upload')).toBe(1);
      expect(api.finalized).toEqual([]);
    },
  );
});
