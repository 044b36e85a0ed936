import type { IncomingHttpHeaders } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from '@jest/globals';
import { internalKeys, signClientAddress, verifyClientAddress } from '@lfs-depot/auth';
import { CLIENT_ADDRESS_HEADER } from '@lfs-depot/contracts';

import { ApiForwarder, EAGER_BODY_MAX_BYTES, VIA_HEADER } from './api-forwarder.js';

/** The client-address key a proxy with this INTERNAL_SECRET signs with. */
const SECRET = internalKeys('forwarder-test-secret-0123456789-abcdef').clientAddress;

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe(ApiForwarder.name, () => {
  const servers: http.Server[] = [];
  const forwarders: ApiForwarder[] = [];

  afterEach(async () => {
    forwarders.splice(0).forEach((forwarder) => forwarder.close());
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
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
  });
});
