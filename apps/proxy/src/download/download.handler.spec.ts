import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createLogger } from '@lfs-depot/observability';
import { type ByteRange, LocalStorage, objectKey, type ObjectStorage } from '@lfs-depot/storage';
import { logCapture, oidOf } from '@lfs-depot/testing';

import type { ApiClient } from '../api-client/api.client.js';
import { ProxyMetrics } from '../metrics.js';
import { InFlightLimiter } from '../http/in-flight-limiter.js';
import { handleDownload } from './download.handler.js';

/** Local storage that counts how downloads reach the bytes. */
class CountingStorage extends LocalStorage {
  opened = 0;
  readWhole = 0;

  override open(key: string, range?: ByteRange, recorded?: { size: number }): Promise<Readable> {
    this.opened++;
    return super.open(key, range, recorded);
  }

  override readSmall(key: string, size: number): Promise<Buffer> {
    this.readWhole++;
    return super.readSmall(key, size);
  }
}

/** What a client saw of one GET: `cut` when the connection closed before the announced body was complete. */
interface Seen {
  status: number;
  headers: http.IncomingHttpHeaders;
  data: Buffer;
  outcome: 'ended' | 'cut';
}

describe(handleDownload.name, () => {
  let root: string;
  let storage: CountingStorage;
  /** The storage downloads read from: `storage` unless a test swaps it. */
  let served: ObjectStorage;
  let server: http.Server;
  let port: number;
  let out: ReturnType<typeof logCapture>;
  let metrics: ProxyMetrics;
  let handlers: Promise<void>[];
  /** The size the API has recorded for the object being downloaded. */
  let recordedSize: number;
  /** Downloads in progress per user; a test may set a tighter limit before its requests. */
  let downloads: InFlightLimiter;
  const oid = oidOf('download-handler');

  beforeEach(async () => {
    handlers = [];
    out = logCapture();
    metrics = new ProxyMetrics();
    root = await mkdtemp(path.join(os.tmpdir(), 'download-handler-'));
    storage = new CountingStorage(root);
    served = storage;
    downloads = new InFlightLimiter({ total: Number.MAX_SAFE_INTEGER, perClient: 16 });
    // The user is the Authorization header's value; without one the download is anonymous.
    const api = {
      authorizeDownload: ({ authorization }: { authorization?: string }) =>
        Promise.resolve({
          storageKey: objectKey(oid),
          size: recordedSize,
          user: authorization === undefined ? undefined : authorization,
        }),
    } as unknown as ApiClient;
    server = http.createServer((req, res) => {
      handlers.push(
        handleDownload({ project: 'g/p', oid }, req, res, 'req-1', {
          api,
          storage: served,
          logger: createLogger({ app: 'proxy', level: 'info', destination: out }),
          transfers: metrics.transfers,
          trustedProxyHops: 0,
          transferIdleMs: 60_000,
          uploads: new InFlightLimiter({ total: Number.MAX_SAFE_INTEGER, perClient: 16 }),
          downloads,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  /** Stores `content` as the object's bytes, whatever size the API has recorded. */
  async function store(content: Buffer): Promise<void> {
    const file = path.join(root, ...objectKey(oid).split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }

  async function get(headers: http.OutgoingHttpHeaders = {}, method = 'GET'): Promise<Seen> {
    const seen = await new Promise<Seen>((resolve) => {
      let answer: http.IncomingMessage | undefined;
      const chunks: Buffer[] = [];
      const done = (outcome: Seen['outcome']) => () =>
        resolve({
          status: answer?.statusCode ?? 0,
          headers: answer?.headers ?? {},
          data: Buffer.concat(chunks),
          outcome,
        });
      const request = http.request(
        { port, host: '127.0.0.1', path: `/g/p.git/info/lfs/objects/${oid}`, method, headers, agent: false },
        (res) => {
          answer = res;
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', done('ended'));
          res.on('aborted', done('cut'));
          res.on('error', done('cut'));
        },
      );
      // The connection closed before an answer began, or with bytes that are no part of one.
      request.on('error', done('cut'));
      request.end();
    });
    await Promise.allSettled(handlers);
    return seen;
  }

  /** A GET whose answer has begun and whose body is left unread until `close` cuts the connection. */
  function begin(
    headers: http.OutgoingHttpHeaders = {},
    method = 'GET',
  ): Promise<{
    status: number;
    headers: http.IncomingHttpHeaders;
    body: () => Promise<string>;
    close: () => void;
  }> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        { port, host: '127.0.0.1', path: `/g/p.git/info/lfs/objects/${oid}`, method, headers, agent: false },
        (res) => {
          res.pause();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: async () => {
              const chunks: Buffer[] = [];
              for await (const chunk of res) {
                chunks.push(chunk as Buffer);
              }
              return Buffer.concat(chunks).toString();
            },
            close: () => request.destroy(),
          });
        },
      );
      request.on('error', reject);
      request.end();
    });
  }

  /** The transfer lines written, as their fields that do not change between runs. */
  function transferLines(): Record<string, unknown>[] {
    return out
      .parsed()
      .filter((line) => line.transfer !== undefined)
      .map(({ time: _time, pid: _pid, duration_ms: _duration, mb_per_s: _rate, ...line }) => line);
  }

  async function downloadMetrics(): Promise<{
    bytes: number;
    outcomes: Record<string, number>;
    inFlight: number;
  }> {
    const value = async (metric: { get(): Promise<{ values: { labels: object; value: number }[] }> }) =>
      (await metric.get()).values;
    const bytes = (await value(metrics.transfers.bytes)).find(
      (v) => (v.labels as { direction?: string }).direction === 'download',
    );
    const outcomes: Record<string, number> = {};
    for (const entry of await value(metrics.transfers.transfers)) {
      outcomes[(entry.labels as { outcome: string }).outcome] = entry.value;
    }
    const inFlight = (await value(metrics.transfers.inFlight)).find(
      (v) => (v.labels as { direction?: string }).direction === 'download',
    );
    return { bytes: bytes?.value ?? 0, outcomes, inFlight: inFlight?.value ?? -1 };
  }

  describe('a small object without a Range', () => {
    it('returns its bytes with the usual headers, read whole rather than streamed', async () => {
      const content = randomBytes(4096);
      recordedSize = content.length;
      await store(content);

      const seen = await get();

      expect(seen).toMatchObject({ status: 200, outcome: 'ended' });
      expect(seen.data.equals(content)).toBe(true);
      expect(seen.headers).toMatchObject({
        'content-type': 'application/octet-stream',
        'x-content-type-options': 'nosniff',
        'accept-ranges': 'bytes',
        'content-length': '4096',
        'x-request-id': 'req-1',
      });
      expect(storage).toMatchObject({ readWhole: 1, opened: 0 });
      expect(transferLines()).toEqual([
        {
          level: 'info',
          app: 'proxy',
          request_id: 'req-1',
          transfer: 'download',
          oid,
          size: null,
          outcome: 'ok',
          bytes: 4096,
          project: 'g/p',
          user: null,
          msg: expect.stringMatching(new RegExp(`^download ${oid} ok \\(4096 bytes, [0-9.]+ MB/s\\)$`)),
        },
      ]);
      expect(await downloadMetrics()).toEqual({ bytes: 4096, outcomes: { ok: 1 }, inFlight: 0 });
    });

    it('reads an object of exactly the largest small size whole', async () => {
      const content = randomBytes(64 * 1024);
      recordedSize = content.length;
      await store(content);

      const seen = await get();

      expect(seen).toMatchObject({ status: 200, outcome: 'ended' });
      expect(seen.data.equals(content)).toBe(true);
      expect(storage).toMatchObject({ readWhole: 1, opened: 0 });
    });

    it('cuts the connection after the stored bytes when they are shorter than recorded', async () => {
      const content = randomBytes(1000);
      recordedSize = 4000;
      await store(content);

      const seen = await get();

      expect(seen).toMatchObject({ status: 200, outcome: 'cut' });
      expect(seen.headers['content-length']).toBe('4000');
      expect(seen.data.equals(content)).toBe(true);
      expect(transferLines()).toEqual([
        expect.objectContaining({
          level: 'error',
          outcome: 'storage_error',
          bytes: 1000,
          reason: `integrity: stored bytes of ${oid} do not match its recorded size (read 1000 of 4000 bytes)`,
        }),
      ]);
      expect(await downloadMetrics()).toEqual({ bytes: 1000, outcomes: { storage_error: 1 }, inFlight: 0 });
    });

    it('cuts the connection when the stored bytes are longer than recorded', async () => {
      const content = randomBytes(5000);
      recordedSize = 4000;
      await store(content);

      const seen = await get();

      expect(seen).toMatchObject({ status: 200, outcome: 'cut' });
      expect(seen.headers['content-length']).toBe('4000');
      // Never all 4000: a client must not take the first bytes of a longer file for the object.
      expect(seen.data.equals(content.subarray(0, 3999))).toBe(true);
      expect(transferLines()).toEqual([
        expect.objectContaining({
          level: 'error',
          outcome: 'storage_error',
          bytes: 3999,
          reason: `integrity: stored bytes of ${oid} do not match its recorded size (read more than 4000 bytes)`,
        }),
      ]);
      expect(await downloadMetrics()).toEqual({ bytes: 3999, outcomes: { storage_error: 1 }, inFlight: 0 });
      expect(downloads.inFlight).toBe(0);
    });

    it('settles and gives its place back when the client leaves while the object is read', async () => {
      const content = randomBytes(4096);
      recordedSize = content.length;
      await store(content);
      let reading!: () => void;
      const started = new Promise<void>((resolve) => (reading = resolve));
      let clientGone!: () => void;
      const gone = new Promise<void>((resolve) => (clientGone = resolve));
      served = {
        open: (key: string, range?: ByteRange) => storage.open(key, range),
        readSmall: async (key: string, size: number) => {
          reading();
          await gone;
          return storage.readSmall(key, size);
        },
      } as ObjectStorage;
      server.once('connection', (socket) => socket.once('close', () => clientGone()));

      const request = http.request({
        port,
        host: '127.0.0.1',
        path: `/g/p.git/info/lfs/objects/${oid}`,
        headers: { authorization: 'alice' },
        agent: false,
      });
      const failed = new Promise((resolve) => request.on('error', resolve));
      request.end();
      await started;
      request.destroy();
      await Promise.all(handlers);

      expect(await failed).toMatchObject({ code: 'ECONNRESET' });
      expect(downloads.inFlight).toBe(0);
      expect(transferLines()).toEqual([expect.objectContaining({ outcome: 'aborted', bytes: 0 })]);
      expect(await downloadMetrics()).toMatchObject({ inFlight: 0 });
    });

    it('answers 404 JSON when the object has lost its bytes', async () => {
      recordedSize = 300;

      const seen = await get();

      expect(seen).toMatchObject({ status: 404, outcome: 'ended' });
      expect(JSON.parse(seen.data.toString())).toMatchObject({
        code: 'OBJECT_NOT_FOUND',
        request_id: 'req-1',
      });
      expect(transferLines()).toEqual([
        expect.objectContaining({
          outcome: 'storage_error',
          bytes: 0,
          reason: `integrity: ${oid} is linked to g/p but missing from storage`,
        }),
      ]);
      expect(await downloadMetrics()).toEqual({ bytes: 0, outcomes: { storage_error: 1 }, inFlight: 0 });
    });

    it('answers 404 JSON when a folder stands where its file should be', async () => {
      recordedSize = 300;
      await mkdir(path.join(root, ...objectKey(oid).split('/')), { recursive: true });

      const seen = await get();

      expect(seen).toMatchObject({ status: 404, outcome: 'ended' });
      expect(JSON.parse(seen.data.toString())).toMatchObject({ code: 'OBJECT_NOT_FOUND' });
    });

    it('answers an empty object without reading storage', async () => {
      recordedSize = 0;

      const seen = await get();

      expect(seen).toMatchObject({ status: 200, outcome: 'ended' });
      expect(seen.headers['content-length']).toBe('0');
      expect(seen.data.length).toBe(0);
      expect(storage).toMatchObject({ readWhole: 0, opened: 0 });
      expect(transferLines()).toEqual([expect.objectContaining({ outcome: 'ok', bytes: 0 })]);
    });

    it('answers HEAD with the headers alone, reading nothing and writing no transfer line', async () => {
      recordedSize = 4096;
      await store(randomBytes(4096));

      const seen = await get({}, 'HEAD');

      expect(seen).toMatchObject({ status: 200, outcome: 'ended' });
      expect(seen.headers['content-length']).toBe('4096');
      expect(seen.data.length).toBe(0);
      expect(storage).toMatchObject({ readWhole: 0, opened: 0 });
      expect(transferLines()).toEqual([]);
    });

    it('streams from a storage that cannot read an object whole', async () => {
      const content = randomBytes(4096);
      recordedSize = content.length;
      await store(content);
      served = { open: (key: string, range?: ByteRange) => storage.open(key, range) } as ObjectStorage;

      const seen = await get();

      expect(seen).toMatchObject({ status: 200, outcome: 'ended' });
      expect(seen.data.equals(content)).toBe(true);
      expect(storage).toMatchObject({ readWhole: 0, opened: 1 });
    });
  });

  describe('what is still streamed', () => {
    it.each([
      ['longer', 70_000],
      ['shorter', 66_000],
    ])(
      'cuts the connection before any byte when the stored bytes are %s than recorded',
      async (_, stored) => {
        const content = randomBytes(stored);
        recordedSize = 68_000;
        await store(content);

        const seen = await get();

        // Not even the headers: a client must not take part of another object for this one.
        expect(seen).toMatchObject({ status: 0, outcome: 'cut' });
        expect(seen.data.length).toBe(0);
        expect(storage).toMatchObject({ readWhole: 0, opened: 1 });
        expect(transferLines()).toEqual([
          expect.objectContaining({
            level: 'error',
            outcome: 'storage_error',
            bytes: 0,
            reason: `integrity: stored bytes of ${oid} do not match its recorded size (Object ${objectKey(oid)} is stored with ${stored} bytes, not the 68000 recorded for it)`,
          }),
        ]);
        expect(downloads.inFlight).toBe(0);
      },
    );

    it('streams an object larger than the small size', async () => {
      const content = randomBytes(64 * 1024 + 1);
      recordedSize = content.length;
      await store(content);

      const seen = await get();

      expect(seen).toMatchObject({ status: 200, outcome: 'ended' });
      expect(seen.data.equals(content)).toBe(true);
      expect(storage).toMatchObject({ readWhole: 0, opened: 1 });
      expect(transferLines()).toEqual([expect.objectContaining({ outcome: 'ok', bytes: content.length })]);
    });

    it('streams a Range of a small object', async () => {
      const content = randomBytes(4096);
      recordedSize = content.length;
      await store(content);

      const seen = await get({ range: 'bytes=10-19' });

      expect(seen).toMatchObject({ status: 206, outcome: 'ended' });
      expect(seen.headers['content-range']).toBe('bytes 10-19/4096');
      expect(seen.data.equals(content.subarray(10, 20))).toBe(true);
      expect(storage).toMatchObject({ readWhole: 0, opened: 1 });
    });
  });

  describe('downloads in progress (MAX_DOWNLOADS_PER_USER)', () => {
    /** Storage whose streams send a first chunk and then nothing more, so that each download stays in progress. */
    function stallingStorage(): ObjectStorage {
      return {
        open: () => {
          const stalled = new PassThrough();
          stalled.write(Buffer.alloc(1024));
          return Promise.resolve(stalled);
        },
      } as unknown as ObjectStorage;
    }

    beforeEach(() => {
      downloads = new InFlightLimiter({ total: Number.MAX_SAFE_INTEGER, perClient: 1 });
      recordedSize = 1_000_000;
      served = stallingStorage();
    });

    it('answers 429 TOO_MANY_DOWNLOADS with Retry-After to a user at the limit, and lets them in again after', async () => {
      const first = await begin({ authorization: 'alice' });
      expect(first.status).toBe(200);

      const refused = await begin({ authorization: 'alice' });
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('1');
      expect(JSON.parse(await refused.body())).toMatchObject({
        code: 'TOO_MANY_DOWNLOADS',
        message: expect.stringMatching(/^You have 1 downloads in progress already/),
        retry_after_seconds: 1,
        request_id: 'req-1',
      });
      expect(transferLines()).toContainEqual(
        expect.objectContaining({
          outcome: 'denied',
          reason: 'the user has MAX_DOWNLOADS_PER_USER downloads in progress',
        }),
      );

      first.close();
      await Promise.allSettled(handlers);
      expect(downloads.inFlight).toBe(0);
      const again = await begin({ authorization: 'alice' });
      expect(again.status).toBe(200);
      again.close();
    });

    it('counts each user apart, and anonymous downloads by client address', async () => {
      const alice = await begin({ authorization: 'alice' });
      const bob = await begin({ authorization: 'bob' });
      const anonymous = await begin();
      const secondAnonymous = await begin();

      expect([alice.status, bob.status, anonymous.status, secondAnonymous.status]).toEqual([
        200, 200, 200, 429,
      ]);
      expect(downloads.inFlightFor('address 127.0.0.1')).toBe(1);
      for (const download of [alice, bob, anonymous]) {
        download.close();
      }
      await Promise.allSettled(handlers);
      expect(downloads.inFlight).toBe(0);
    });

    it('does not count HEAD requests, which send no bytes', async () => {
      const held = await begin({ authorization: 'alice' });

      const head = await begin({ authorization: 'alice' }, 'HEAD');

      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe('1000000');
      expect(downloads.inFlightFor('user alice')).toBe(1);
      held.close();
      await Promise.allSettled(handlers);
      expect(downloads.inFlight).toBe(0);
    });
  });
});
