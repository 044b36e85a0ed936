import type { IncomingHttpHeaders } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

import { afterEach, describe, expect, it } from '@jest/globals';
import { internalKeys, signClientAddress, verifyClientAddress } from '@lfs-depot/auth';
import { CLIENT_ADDRESS_HEADER } from '@lfs-depot/contracts';
import { eventually } from '@lfs-depot/testing';

import { ApiForwarder, DEFAULT_FORWARDER_LIMITS, EAGER_BODY_MAX_BYTES, VIA_HEADER } from './api-forwarder.js';

/** The client-address key a proxy with this INTERNAL_SECRET signs with. */
const SECRET = internalKeys('forwarder-test-secret-0123456789-abcdef').clientAddress;

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe(ApiForwarder.name, () => {
  const servers: http.Server[] = [];
  const forwarders: ApiForwarder[] = [];
  const clients: net.Socket[] = [];

  afterEach(async () => {
    clients.splice(0).forEach((client) => client.destroy());
    forwarders.splice(0).forEach((forwarder) => forwarder.close());
    // A connection a failed test left open must not hold the server's close.
    await Promise.all(
      servers.splice(0).map((server) => {
        const closed = new Promise((resolve) => server.close(resolve));
        server.closeAllConnections();
        return closed;
      }),
    );
  });

  /** Forwards one request with `headers` through a proxy trusting `hops`; returns the headers the API received. */
  async function forwardedHeaders(
    hops: number,
    headers: Record<string, string>,
  ): Promise<IncomingHttpHeaders> {
    let received: IncomingHttpHeaders = {};
    const api = http.createServer((req, res) => {
      received = req.headers;
      res.end('{}');
    });
    servers.push(api);
    const forwarder = new ApiForwarder(await listen(api), SECRET, hops);
    forwarders.push(forwarder);
    const proxy = http.createServer((req, res) => forwarder.forward(req, res, 'request-id-1', false));
    servers.push(proxy);
    const response = await fetch(`${await listen(proxy)}/api/v1/users`, { headers });
    await response.text();
    return received;
  }

  describe('forward', () => {
    it('signs the address it saw itself, replacing whatever the client claimed', async () => {
      const received = await forwardedHeaders(0, {
        'x-forwarded-for': '192.0.2.1',
        [CLIENT_ADDRESS_HEADER]: signClientAddress('a-guessed-secret-0123456789-0123456789', '192.0.2.1'),
      });

      const header = received[CLIENT_ADDRESS_HEADER];
      expect(verifyClientAddress(SECRET, typeof header === 'string' ? header : undefined)).toMatch(
        /^(::ffff:)?127\.0\.0\.1$/,
      );
    });

    it('signs the address the trusted load balancer appended, not the ones further left', async () => {
      const received = await forwardedHeaders(1, { 'x-forwarded-for': 'spoofed, 198.51.100.7' });

      const header = received[CLIENT_ADDRESS_HEADER];
      expect(verifyClientAddress(SECRET, typeof header === 'string' ? header : undefined)).toBe(
        '198.51.100.7',
      );
    });

    it('rejects with 508 a request that came back to the proxy that forwarded it, after one round', async () => {
      let passes = 0;
      const self: { forwarder?: ApiForwarder } = {};
      const server = http.createServer((req, res) => {
        passes++;
        self.forwarder?.forward(req, res, 'request-id-1', true);
      });
      servers.push(server);
      // API_URL pointing at the proxy itself.
      const url = await listen(server);
      const forwarder = new ApiForwarder(url, SECRET, 0);
      forwarders.push(forwarder);
      self.forwarder = forwarder;
      const answer = await fetch(`${url}/x/info/lfs/locks`);
      expect(answer.status).toBe(508);
      expect(await answer.json()).toMatchObject({
        message: expect.stringContaining('API_URL leads back to this proxy'),
        code: 'FORWARDING_LOOP',
        request_id: 'request-id-1',
      });
      expect(passes).toBe(2);
    });

    it('adds itself to the proxies a request went through', async () => {
      const received = await forwardedHeaders(0, { [VIA_HEADER]: 'another-proxy' });

      expect(received[VIA_HEADER]).toMatch(/^another-proxy, [0-9a-f-]{36}$/);
    });

    it.each([
      ['sends a small body at once', EAGER_BODY_MAX_BYTES, undefined],
      ['asks the API for 100 Continue before a larger body', EAGER_BODY_MAX_BYTES + 1, '100-continue'],
    ])('%s', async (_name, size, expectHeader) => {
      let received: { expect?: string; bytes: number } | undefined;
      const api = http.createServer((req, res) => {
        let bytes = 0;
        req.on('data', (chunk: Buffer) => (bytes += chunk.length));
        req.on('end', () => {
          received = { expect: req.headers.expect, bytes };
          res.end('{}');
        });
      });
      servers.push(api);
      const forwarder = new ApiForwarder(await listen(api), SECRET, 0);
      forwarders.push(forwarder);
      const proxy = http.createServer((req, res) => forwarder.forward(req, res, 'request-id-1', false));
      servers.push(proxy);
      const response = await fetch(`${await listen(proxy)}/api/v1/users`, {
        method: 'POST',
        body: Buffer.alloc(size, 'x'),
      });
      await response.text();

      expect(response.status).toBe(200);
      expect(received).toEqual({ expect: expectHeader, bytes: size });
    });

    it.each([
      ['a small body sent at once', 4096, 401],
      ['a larger body sent after 100 Continue', EAGER_BODY_MAX_BYTES * 4, 413],
    ])(
      'closes the connection after an answer the API gave while %s was still arriving',
      async (_name, size, status) => {
        const api = http.createServer((_req, res) => {
          // Answers at once, as its guards and size checks do, without waiting for the body.
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end('{"message":"refused"}');
        });
        servers.push(api);
        // Far longer than the test may take: only the answer can be what closes the socket.
        const forwarder = new ApiForwarder(await listen(api), SECRET, 0, {
          ...DEFAULT_FORWARDER_LIMITS,
          body: { idleMs: 600_000 },
        });
        forwarders.push(forwarder);
        const proxy = http.createServer((req, res) => forwarder.forward(req, res, 'request-id-1', false));
        proxy.keepAliveTimeout = 600_000;
        servers.push(proxy);
        const { port } = new URL(await listen(proxy));

        const client = net.connect(Number(port), '127.0.0.1');
        clients.push(client);
        let received = '';
        client.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
        const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
        client.on('error', () => undefined);
        // Part of the body only: the client is still sending it when the answer comes.
        client.write(
          `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n${'x'.repeat(100)}`,
        );
        let isClosed = false;
        void closed.then(() => (isClosed = true));
        await eventually(() => isClosed, 5000);

        const [head = ''] = received.split('\r\n\r\n');
        expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
        expect(head.toLowerCase()).toContain('connection: close');
        expect(received).toContain('{"message":"refused"}');
        await eventually(() => forwarder.requestsInFlight === 0);
      },
    );

    describe('an API that takes the request but does not begin its answer', () => {
      /** A proxy forwarding to `api` with an answer timeout too short to wait for. */
      async function proxyTo(api: http.Server): Promise<{ url: string; forwarder: ApiForwarder }> {
        servers.push(api);
        const forwarder = new ApiForwarder(await listen(api), SECRET, 0, {
          ...DEFAULT_FORWARDER_LIMITS,
          answerTimeoutMs: 50,
        });
        forwarders.push(forwarder);
        const proxy = http.createServer((req, res) => forwarder.forward(req, res, 'request-id-1', true));
        servers.push(proxy);
        return { url: await listen(proxy), forwarder };
      }

      it.each([
        ['GET', undefined],
        ['POST', '{"operation":"download","objects":[]}'],
      ])(
        'answers a %s 503 SERVICE_UNAVAILABLE with Retry-After, and gives its place and connection back',
        async (method, body) => {
          const upstreamClosed: Promise<void>[] = [];
          const api = http.createServer((req) => {
            upstreamClosed.push(new Promise((resolve) => req.socket.once('close', () => resolve())));
            req.resume();
          });
          const { url, forwarder } = await proxyTo(api);

          const response = await fetch(`${url}/g/p.git/info/lfs/objects/batch`, { method, body });

          expect(response.status).toBe(503);
          expect(response.headers.get('retry-after')).toBe('2');
          expect(response.headers.get('content-type')).toContain('application/vnd.git-lfs+json');
          expect(await response.json()).toMatchObject({
            code: 'SERVICE_UNAVAILABLE',
            message: expect.stringContaining('no answer within 0.05 s'),
            retry_after_seconds: 2,
            request_id: 'request-id-1',
          });
          await Promise.all(upstreamClosed);
          await eventually(() => forwarder.requestsInFlight === 0);
        },
      );

      it('lets an answer that has begun take longer than the answer timeout', async () => {
        const api = http.createServer((req, res) => {
          req.resume();
          res.writeHead(200, { 'content-type': 'application/x-tar' });
          res.write('first part, ');
          // The rest comes well after the answer timeout, as an export's next object may.
          setTimeout(() => res.end('last part'), 200);
        });
        const { url } = await proxyTo(api);

        const response = await fetch(`${url}/api/v1/projects/g%2Fp/export`);

        expect(response.status).toBe(200);
        expect(await response.text()).toBe('first part, last part');
      });

      it('lets an answer that began while the body was still being sent take longer than the answer timeout', async () => {
        const api = http.createServer((req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('first part, ');
          req.resume();
          // Ends well after the body has gone out, which is when the answer timeout would have started.
          req.once('end', () => setTimeout(() => res.end('last part'), 200));
        });
        const { url } = await proxyTo(api);

        const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const request = http.request(
            `${url}/api/v1/users`,
            { method: 'POST', headers: { 'content-length': '20' } },
            (res) => {
              // The rest of the body only once the answer has begun.
              request.end('y'.repeat(10));
              let body = '';
              res.on('data', (chunk: Buffer) => (body += chunk.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
              res.on('error', reject);
            },
          );
          request.on('error', reject);
          request.write('x'.repeat(10));
        });

        expect(answer).toEqual({ status: 200, body: 'first part, last part' });
      });
    });
  });
});
