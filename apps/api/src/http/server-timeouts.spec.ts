import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

import { afterEach, describe, expect, it } from '@jest/globals';

import { continueWhenBodyIsRead } from './expect-continue.js';
import { applyServerTimeouts } from './server-timeouts.js';

const IDLE_MS = 200;
/** How long the handlers below keep the API busy without reading: several times the idle limit. */
const BUSY_MS = IDLE_MS * 5;

describe(applyServerTimeouts.name, () => {
  let server: http.Server | undefined;

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function serve(handler: http.RequestListener): Promise<number> {
    server = http.createServer(handler);
    continueWhenBodyIsRead(server);
    applyServerTimeouts(server, {
      headersTimeoutMs: 7000,
      bodyIdleTimeoutMs: IDLE_MS,
      keepAliveTimeoutMs: 3000,
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  /** Reads the whole body and answers with its length. */
  async function countBody(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let bytes = 0;
    for await (const chunk of req) {
      bytes += (chunk as Buffer).length;
    }
    res.end(String(bytes));
  }

  /** Sends `body` (the whole of it at once) and resolves with the status and answer. */
  function post(
    port: number,
    body: Buffer,
    headers: http.OutgoingHttpHeaders = {},
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', method: 'POST', agent: false, headers });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      if (headers.expect === '100-continue') {
        req.on('continue', () => req.end(body));
        req.flushHeaders();
      } else {
        req.end(body);
      }
    });
  }

  it('sets the headers and keep-alive limits and no total request time', async () => {
    await serve((_req, res) => res.end());

    expect(server?.headersTimeout).toBe(7000);
    expect(server?.keepAliveTimeout).toBe(3000);
    expect(server?.requestTimeout).toBe(0);
  });

  it('drops the connection when a body being read stops arriving', async () => {
    let failed: (error: Error) => void = () => undefined;
    const bodyError = new Promise<Error>((resolve) => (failed = resolve));
    const port = await serve((req, res) => {
      countBody(req, res).catch(failed);
    });
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('POST / HTTP/1.1\r\nHost: api\r\nContent-Length: 1000\r\n\r\n0123456789');

    const [error] = await Promise.all([bodyError, new Promise((resolve) => socket.once('close', resolve))]);
    expect(error.message).toMatch(/aborted/);
  });

  it('waits as long as it takes for a handler that reads its body late', async () => {
    const port = await serve((req, res) => {
      void delay(BUSY_MS).then(() => countBody(req, res));
    });

    // Larger than the socket and stream buffers, so that most of it waits unread while the handler is busy.
    await expect(post(port, Buffer.alloc(16 * 1024 * 1024))).resolves.toEqual({
      status: 200,
      body: String(16 * 1024 * 1024),
    });
  });

  it('waits as long as it takes for a 100 Continue body the handler reads late', async () => {
    const port = await serve((req, res) => {
      void delay(BUSY_MS).then(() => countBody(req, res));
    });

    await expect(post(port, Buffer.alloc(1000), { expect: '100-continue' })).resolves.toEqual({
      status: 200,
      body: '1000',
    });
  });

  it('waits as long as it takes for the answer once the body has arrived', async () => {
    const port = await serve((req, res) => {
      void (async () => {
        let bytes = 0;
        for await (const chunk of req) {
          bytes += (chunk as Buffer).length;
        }
        await delay(BUSY_MS);
        res.end(String(bytes));
      })();
    });

    await expect(post(port, Buffer.alloc(4096))).resolves.toEqual({ status: 200, body: '4096' });
  });
});
