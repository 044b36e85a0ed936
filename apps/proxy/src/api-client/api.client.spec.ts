import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { afterEach, describe, expect, it } from '@jest/globals';
import { internalKeys } from '@lfs-depot/auth';
import { INTERNAL_AUTHORIZE_MEDIA_TYPE, LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

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

  /** A stand-in API that takes each request (all its body) and then does `answer` with the response. */
  async function apiThat(
    answer: (res: http.ServerResponse) => void,
  ): Promise<{ url: string; connections: Set<Socket> }> {
    const connections = new Set<Socket>();
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    server.on('connection', (socket: Socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections };
  }

  const downloadRequest = {
    project: 'a/b',
    oid: 'a'.repeat(64),
    authorization: undefined,
    client: '127.0.0.1',
  };

  async function denialOf(call: Promise<unknown>): Promise<ApiDenial> {
    const outcome = await call.then(
      () => new Error('the call succeeded'),
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(ApiDenial);
    return outcome as ApiDenial;
  }

  /** The 503 an unreachable API gives, with Retry-After in header and body, and `reason` in the message. */
  function expectServiceUnavailable(denial: ApiDenial, reason: RegExp): void {
    expect(denial.answer).toMatchObject({ status: 503, retryAfter: '2' });
    expect(denial.answer.contentType).toContain(LFS_MEDIA_TYPE);
    const body = JSON.parse(denial.answer.body) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retry_after_seconds: 2, request_id: 'req-1' });
    expect(body.message).toMatch(reason);
  }

  describe('an API that takes the call but never answers', () => {
    it('answers 503 SERVICE_UNAVAILABLE with Retry-After once the call timeout passes, and drops the connection', async () => {
      const api = await apiThat(() => {});
      client = new ApiClient(api.url, internalKeys('secret-secret-secret-secret').request, 50);
      const denial = await denialOf(client.authorizeDownload(downloadRequest, 'req-1'));
      expectServiceUnavailable(denial, /no answer within 0.05 s/);
      // The timed-out connection is closed, not kept for the next call, which would get the late answer.
      await new Promise<void>((resolve) => {
        const poll = (): void => (api.connections.size === 0 ? resolve() : void setImmediate(poll));
        poll();
      });
      expect(api.connections.size).toBe(0);
    });

    it('gives finalize the same 503, so that the client sends the upload again', async () => {
      const api = await apiThat(() => {});
      client = new ApiClient(api.url, internalKeys('secret-secret-secret-secret').request, 50);
      const denial = await denialOf(
        client.finalizeUpload({ ticket: 't', oid: 'a'.repeat(64), size: 3, project: 'a/b' }, 'req-1'),
      );
      expectServiceUnavailable(denial, /no answer within/);
    });

    it('uses a fresh connection for the next call, not the timed-out one', async () => {
      let calls = 0;
      const api = await apiThat((res) => {
        calls += 1;
        if (calls > 1) {
          res.writeHead(200, { 'content-type': INTERNAL_AUTHORIZE_MEDIA_TYPE });
          res.end(JSON.stringify(AUTHORIZATION));
        }
      });
      client = new ApiClient(api.url, internalKeys('secret-secret-secret-secret').request, 50);
      await denialOf(client.authorizeDownload(downloadRequest, 'req-1'));
      expect(await client.authorizeDownload(downloadRequest, 'req-2')).toEqual(AUTHORIZATION);
      expect(calls).toBe(2);
    });
  });

  it('answers 503 when the API dies in the middle of its answer', async () => {
    const api = await apiThat((res) => {
      res.writeHead(200, { 'content-type': INTERNAL_AUTHORIZE_MEDIA_TYPE, 'content-length': 1000 });
      res.write('{"storageKey":', () => res.socket?.destroy());
    });
    client = new ApiClient(api.url, internalKeys('secret-secret-secret-secret').request, 10_000);
    const denial = await denialOf(client.authorizeDownload(downloadRequest, 'req-1'));
    expectServiceUnavailable(denial, /answer cut short/);
  });

  it('answers 503 to an answer larger than any the API gives, without reading all of it', async () => {
    const api = await apiThat((res) => {
      res.writeHead(200, { 'content-type': INTERNAL_AUTHORIZE_MEDIA_TYPE });
      res.write(Buffer.alloc(256 * 1024, 0x20));
      // Never ended: the client must stop on size, not wait for the end.
    });
    client = new ApiClient(api.url, internalKeys('secret-secret-secret-secret').request, 10_000);
    const denial = await denialOf(client.authorizeDownload(downloadRequest, 'req-1'));
    expectServiceUnavailable(denial, /an answer larger than/);
  });
});
