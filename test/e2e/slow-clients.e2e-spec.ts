import net from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import { adminClient, TEST_ADMIN_TOKEN } from '../helpers/api-harness.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';
import { alice, basic, request, testObject, useTransferStack } from '../helpers/transfer-stack.js';

// Slow and stalling clients at the public front door (issue 13, item 2): they hold a bounded share of the proxy,
// and the probes answer whatever they do.

/** A raw connection that sent a request head (and maybe some body) and then goes as slowly as the test says. */
class RawClient {
  private readonly received: Buffer[] = [];
  readonly closed: Promise<string>;
  private readonly headReceived: Promise<string>;

  private constructor(readonly socket: net.Socket) {
    let onHead: (head: string) => void = () => undefined;
    this.headReceived = new Promise((resolve) => (onHead = resolve));
    let headSeen = false;
    socket.on('data', (chunk: Buffer) => {
      this.received.push(chunk);
      if (!headSeen && this.text().includes('\r\n\r\n')) {
        headSeen = true;
        onHead(this.text());
      }
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        onHead(this.text());
        resolve(this.text());
      });
    });
    // A reset from a server that closed on an unread body is an ending like any other here.
    socket.on('error', () => undefined);
  }

  /** Connects and writes `head` (and `body`), resolving once the kernel has taken them. */
  static open(url: string, head: string, body = ''): Promise<RawClient> {
    const target = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(target.port), target.hostname);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        const client = new RawClient(socket);
        socket.write(head + body, () => resolve(client));
      });
    });
  }

  /** The status line and headers of the answer, once they came (or everything received, if it closed first). */
  head(): Promise<string> {
    return this.headReceived;
  }

  text(): string {
    return Buffer.concat(this.received).toString('utf8');
  }

  /** Bytes received so far. */
  bytes(): number {
    return this.received.reduce((total, chunk) => total + chunk.length, 0);
  }
}

function requestHead(method: string, path: string, headers: Record<string, string | number>): string {
  return [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
}

const status = (head: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);

describe('slow clients at the proxy', () => {
  describe('with the default limits', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack();
      await adminClient(stack.url).createProject('team/public', 'public');
    });

    afterAll(async () => {
      await stack.close();
    });

    it('answers /-/health and /-/readiness while 500 slow clients hold requests, refusing those over the limits with 503 and Retry-After', async () => {
      // Each sends one byte of the 100,000-byte batch body it promises: anonymous downloads from a public project may
      // ask, so the API waits for the body, holding one of the proxy's connections to it for each.
      const head = requestHead('POST', '/team/public.git/info/lfs/objects/batch', {
        accept: LFS_MEDIA_TYPE,
        'content-type': LFS_MEDIA_TYPE,
        'content-length': 100_000,
      });
      const clients = await Promise.all(
        Array.from({ length: 500 }, () => RawClient.open(stack.url, head, '{')),
      );
      try {
        const health = await fetch(`${stack.url}/-/health`, { signal: AbortSignal.timeout(60_000) });
        expect(health.status).toBe(200);
        const readiness = await fetch(`${stack.url}/-/readiness`, { signal: AbortSignal.timeout(60_000) });
        expect(readiness.status).toBe(200);

        // Every slow client gets an answer: 503 at once over the limit (64 from one address), and 408 for those let in
        // once their body has stopped for IDLE_TIMEOUT_SECONDS.
        const heads = await Promise.all(clients.map((client) => client.head()));
        const refused = heads.filter((text) => status(text) === 503);
        expect(refused.length).toBeGreaterThanOrEqual(500 - 64);
        expect(heads.filter((text) => status(text) !== 503).map(status)).toEqual(
          Array.from({ length: 500 - refused.length }, () => 408),
        );
        for (const text of refused) {
          expect(text).toMatch(/\r\nRetry-After: 1\r\n/i);
          expect(text).toMatch(/\r\nConnection: close\r\n/i);
          expect(text).toContain('"code":"SERVICE_UNAVAILABLE"');
        }
        expect(heads.filter((text) => status(text) === 0)).toEqual([]);
      } finally {
        clients.forEach((client) => client.socket.destroy());
      }
    });
  });

  describe('with short timeouts', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack(
        {},
        { proxyLimits: { headersTimeoutMs: 1000, idleTimeoutMs: 1000, minBodyBytesPerSecond: 200 } },
      );
      const admin = adminClient(stack.url);
      await admin.createUser(alice.username, alice.password);
      await admin.createProject('team/main');
      await admin.setMember('team/main', alice.username, 'write');
    });

    afterAll(async () => {
      await stack.close();
    });

    it('answers 408 REQUEST_TIMEOUT to a batch whose body stops arriving, and closes the connection', async () => {
      const body = JSON.stringify({ operation: 'upload', objects: [{ oid: 'a'.repeat(64), size: 1 }] });
      const client = await RawClient.open(
        stack.url,
        requestHead('POST', '/team/main.git/info/lfs/objects/batch', {
          accept: LFS_MEDIA_TYPE,
          'content-type': LFS_MEDIA_TYPE,
          authorization: basic(alice.username, alice.password),
          'content-length': Buffer.byteLength(body),
        }),
        body.slice(0, 10),
      );

      const answer = await client.closed;
      expect(status(answer)).toBe(408);
      expect(answer).toMatch(/\r\nConnection: close\r\n/i);
      expect(answer).toContain('"code":"REQUEST_TIMEOUT"');
      expect(answer).toContain('The request body stopped arriving');
    });

    it('answers 408 to a body trickled below MIN_BODY_BYTES_PER_SECOND, although it never pauses long', async () => {
      const client = await RawClient.open(
        stack.url,
        requestHead('POST', '/api/v1/users', {
          authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
          'content-type': 'application/json',
          'content-length': 10_000,
        }),
      );
      const trickle = setInterval(() => client.socket.write(' '), 100);
      try {
        const answer = await client.closed;
        expect(status(answer)).toBe(408);
        expect(answer).toContain('"code":"REQUEST_TIMEOUT"');
        expect(answer).toContain('The request body arrived too slowly (under 200 bytes per second)');
      } finally {
        clearInterval(trickle);
      }
    });

    it('closes a connection whose request headers never end', async () => {
      const client = await RawClient.open(stack.url, 'GET /-/health HTTP/1.1\r\nHost: 127.0.0.1\r\n');

      expect(status(await client.closed)).toBe(408);
    });

    it('still serves a body that keeps coming, however long it takes in all', async () => {
      // 700 bytes in 1.8 s: above the minimum rate, and never a pause of a second, but longer than one in all.
      const body = Buffer.from(
        JSON.stringify({ username: 'carol', password: 'carol-password-123' }).padEnd(700, ' '),
      );
      const pieces = Array.from({ length: 7 }, (_, index) => body.subarray(index * 100, index * 100 + 100));

      const answer = await request(`${stack.url}/api/v1/users`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
          'content-type': 'application/json',
          'content-length': body.length,
        },
        pieces,
        pauseMs: 300,
      });
      expect(answer.status).toBe(201);
    });
  });

  describe('object transfers with a short TRANSFER_IDLE_TIMEOUT_SECONDS', () => {
    const t = useTransferStack([{ path: 'team/files' }], {
      proxyLimits: { transferIdleTimeoutMs: 1000 },
    });

    it('answers 408 to an upload whose body stops arriving, closes its connection and keeps nothing', async () => {
      const object = testObject(200_000);
      const { upload } = await t().uploadActions('team/files', object);
      const before = await t().tables();
      const client = await RawClient.open(
        upload.href,
        requestHead('PUT', new URL(upload.href).pathname, {
          ...upload.header,
          'content-type': 'application/octet-stream',
          'content-length': object.size,
        }),
      );
      client.socket.write(object.data.subarray(0, 50_000));

      const answer = await client.closed;
      expect(status(answer)).toBe(408);
      expect(answer).toContain('"code":"REQUEST_TIMEOUT"');
      await t().settled();
      expect(await t().tempFiles()).toEqual([]);
      expect(await t().tables()).toEqual(before);
    });

    it('cuts off a download whose client stops reading, giving its socket back', async () => {
      const object = testObject(32 * 1024 * 1024);
      await t().upload('team/files', object);
      const url = new URL(t().lfs('team/files', `objects/${object.oid}`));
      const client = await RawClient.open(
        url.href,
        requestHead('GET', url.pathname, {
          accept: 'application/octet-stream',
          authorization: basic(alice.username, alice.password),
        }),
      );
      // Once the download has started, reads nothing more: the proxy's writes fill the socket buffers and stop.
      await client.head();
      client.socket.pause();

      // The download's handler ends only once the proxy has cut the connection.
      await t().settled();
      client.socket.resume();
      await client.closed;
      expect(client.bytes()).toBeLessThan(object.size);
    });
  });
});
