import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';

import { afterEach, describe, expect, it } from '@jest/globals';

import { ApiError, ConnectionError } from './admin.client.js';
import { sendStreamingBody } from './streaming-request.js';

describe(sendStreamingBody.name, () => {
  let server: http.Server | undefined;

  afterEach(async () => {
    if (server?.listening) {
      server.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    }
  });

  async function serve(handler: http.RequestListener): Promise<string> {
    server = http.createServer(handler);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** A body of `count` chunks of `size` bytes, produced a little at a time as a repository walk would. */
  function trickle(count: number, size: number): Readable {
    return Readable.from(
      (async function* () {
        for (let i = 0; i < count; i += 1) {
          await delay(20);
          yield Buffer.alloc(size, 'x');
        }
      })(),
    );
  }

  it('streams the body with the bearer token and resolves to the answer a slow server gives at the end', async () => {
    const baseUrl = await serve((req, res) => {
      void (async () => {
        let bytes = 0;
        for await (const chunk of req) {
          bytes += (chunk as Buffer).length;
          // Reads slowly: the client must wait, not give up.
          await delay(10);
        }
        await delay(200);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            bytes,
            auth: req.headers.authorization,
            type: req.headers['content-type'],
            method: req.method,
            url: req.url,
          }),
        );
      })();
    });

    await expect(
      sendStreamingBody(
        { baseUrl, token: 'secret-token' },
        'PUT',
        '/api/v1/projects/a%2Fb/references',
        'application/x-ndjson',
        trickle(20, 1000),
      ),
    ).resolves.toEqual({
      bytes: 20_000,
      auth: 'Bearer secret-token',
      type: 'application/x-ndjson',
      method: 'PUT',
      url: '/api/v1/projects/a%2Fb/references',
    });
  });

  it('rejects with the ApiError of a refusal, without sending the rest of the body', async () => {
    const baseUrl = await serve((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ message: 'Not yours', code: 'FORBIDDEN', request_id: 'r-1' }));
    });

    const refusal = sendStreamingBody(
      { baseUrl, token: 't' },
      'PUT',
      '/x',
      'application/x-ndjson',
      trickle(1000, 10),
    );

    await expect(refusal).rejects.toBeInstanceOf(ApiError);
    await expect(refusal).rejects.toMatchObject({ message: 'Not yours', status: 403, code: 'FORBIDDEN' });
  });

  it('rejects with a ConnectionError when nothing listens', async () => {
    const baseUrl = await serve((_req, res) => res.end());
    await new Promise((resolve) => server?.close(resolve));

    await expect(
      sendStreamingBody({ baseUrl, token: 't' }, 'PUT', '/x', 'application/x-ndjson', trickle(1, 1)),
    ).rejects.toBeInstanceOf(ConnectionError);
  });
});
