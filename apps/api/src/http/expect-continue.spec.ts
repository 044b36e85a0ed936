import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from '@jest/globals';

import { continueWhenBodyIsRead } from './expect-continue.js';

interface Outcome {
  continued: boolean;
  status: number;
  connection: string | undefined;
  body: string;
}

describe(continueWhenBodyIsRead.name, () => {
  let server: http.Server | undefined;

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** Serves `handler` and sends it one request that waits for 100 Continue before its body. */
  async function exchange(handler: http.RequestListener): Promise<Outcome> {
    server = http.createServer(handler);
    continueWhenBodyIsRead(server);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      let continued = false;
      const req = http.request({
        port,
        host: '127.0.0.1',
        method: 'POST',
        agent: false,
        headers: { 'content-length': 5, expect: '100-continue' },
      });
      req.on('continue', () => {
        continued = true;
        req.end('hello');
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            continued,
            status: res.statusCode ?? 0,
            connection: res.headers.connection,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
      req.on('error', reject);
      req.flushHeaders();
    });
  }

  it('answers 100 Continue once a handler reads the body with an async iterator', async () => {
    const outcome = await exchange((req, res) => {
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) {
          chunks.push(chunk as Buffer);
        }
        res.end(Buffer.concat(chunks));
      })();
    });

    expect(outcome).toMatchObject({ continued: true, status: 200, body: 'hello' });
  });

  it('answers 100 Continue once a handler listens for data', async () => {
    const outcome = await exchange((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => res.end(Buffer.concat(chunks)));
    });

    expect(outcome).toMatchObject({ continued: true, status: 200, body: 'hello' });
  });

  it('never asks for a body the handler refuses unread, and closes that connection', async () => {
    const outcome = await exchange((_req, res) => {
      res.statusCode = 413;
      res.end('too large');
    });

    expect(outcome).toEqual({ continued: false, status: 413, connection: 'close', body: 'too large' });
  });
});
