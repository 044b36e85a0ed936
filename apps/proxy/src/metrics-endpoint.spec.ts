import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from '@jest/globals';
import { internalKeys } from '@lfs-depot/auth';

import { MetricsEndpoint } from './metrics-endpoint.js';
import { ProxyMetrics } from './metrics.js';

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe(MetricsEndpoint.name, () => {
  const servers: http.Server[] = [];
  let endpoint: MetricsEndpoint | undefined;

  afterEach(async () => {
    endpoint?.close();
    await Promise.all(
      servers.splice(0).map((server) => {
        const closed = new Promise((resolve) => server.close(resolve));
        server.closeAllConnections();
        return closed;
      }),
    );
  });

  describe('serve', () => {
    it('answers 503 SERVICE_UNAVAILABLE with Retry-After when the API takes the scrape but never answers', async () => {
      const apiSockets: Promise<void>[] = [];
      const api = http.createServer((req) => {
        apiSockets.push(new Promise((resolve) => req.socket.once('close', () => resolve())));
      });
      servers.push(api);
      endpoint = new MetricsEndpoint(
        await listen(api),
        internalKeys('metrics-endpoint-spec-secret-0123456789').clientAddress,
        0,
        new ProxyMetrics(),
        50,
      );
      const proxy = http.createServer((req, res) => void endpoint?.serve(req, res, 'request-id-1'));
      servers.push(proxy);

      const response = await fetch(`${await listen(proxy)}/metrics`);

      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      expect(await response.json()).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        message: expect.stringContaining('no answer within 0.05 s'),
        request_id: 'request-id-1',
      });
      // The connection the scrape went out on is closed, not pooled for the next one.
      await Promise.all(apiSockets);
    });
  });
});
