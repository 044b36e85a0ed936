import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { afterEach, describe, expect, it } from '@jest/globals';
import { internalKeys } from '@lfs-depot/auth';
import { INTERNAL_AUTHORIZE_MEDIA_TYPE } from '@lfs-depot/contracts';

import { ApiClient, ApiDenial } from './api.client.js';

const AUTHORIZATION = { storageKey: 'ab/cd/abcd', size: 3 };

describe(ApiClient.name, () => {
  let server: http.Server | undefined;
  let client: ApiClient | undefined;

  afterEach(async () => {
    client?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** An API stand-in that drops its kept-alive connection when the next request arrives on it. */
  async function apiThatDropsIdleConnections(): Promise<{
    url: string;
    connections: Set<Socket>;
    requests: number[];
  }> {
    const connections = new Set<Socket>();
    const requests: number[] = [];
    const served = new WeakSet<Socket>();
    server = http.createServer((req, res) => {
      requests.push(connections.size);
      if (served.has(req.socket)) {
        req.socket.destroy(); // as if the API's keep-alive timer fired just as this request arrived
        return;
      }
      served.add(req.socket);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': INTERNAL_AUTHORIZE_MEDIA_TYPE });
        res.end(JSON.stringify(AUTHORIZATION));
      });
    });
    server.on('connection', (socket: Socket) => connections.add(socket));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections, requests };
  }

  it('retries once on a fresh connection when the API closed the kept-alive one it was sent on', async () => {
    const api = await apiThatDropsIdleConnections();
    client = new ApiClient(api.url, internalKeys('secret-secret-secret-secret').request);
    const request = { project: 'a/b', oid: 'a'.repeat(64), authorization: undefined, client: '127.0.0.1' };
    expect(await client.authorizeDownload(request, 'req-1')).toEqual(AUTHORIZATION);
    // Same kept-alive connection, which the stand-in now drops: the call still succeeds, over a second connection.
    expect(await client.authorizeDownload(request, 'req-2')).toEqual(AUTHORIZATION);
    expect(api.connections.size).toBe(2);
    expect(api.requests).toHaveLength(3);
  });

  it('keeps the Retry-After of a denial, so that the client is told when to come back', async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' });
        res.end(JSON.stringify({ code: 'SERVICE_UNAVAILABLE', message: 'database away', request_id: 'r' }));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    client = new ApiClient(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      internalKeys('secret-secret-secret-secret').request,
    );
    const request = { project: 'a/b', oid: 'a'.repeat(64), authorization: undefined, client: '127.0.0.1' };
    const denial = await client.authorizeDownload(request, 'req-1').catch((error: unknown) => error);
    expect(denial).toBeInstanceOf(ApiDenial);
    expect((denial as ApiDenial).answer).toMatchObject({ status: 503, retryAfter: '5' });
  });
});
