import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

import { describe, expect, it } from '@jest/globals';

import { closeHttpServer } from './close-http-server.js';

async function listening(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A raw client that sends a request head announcing a body it never sends; resolves when the server drops it. */
function stalledUpload(port: number): { connected: Promise<void>; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  const connected = new Promise<void>((resolve) =>
    socket.on('connect', () => {
      socket.write('PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\npartial');
      resolve();
    }),
  );
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  return { connected, closed };
}

describe('closeHttpServer', () => {
  it('cuts a request that never finishes once the grace period is over', async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    // The handler never answers: only the cut-off can end this connection.
    const { server, port } = await listening(() => arrived());
    const client = stalledUpload(port);
    await client.connected;
    await requestArrived;

    await closeHttpServer(server, 50);

    await client.closed;
    expect(server.listening).toBe(false);
  });

  it('lets a request under way finish within the grace period', async () => {
    let answer!: () => void;
    const { server, port } = await listening((_req, res) => {
      answer = () => res.end('done');
    });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ port, host: '127.0.0.1', path: '/', agent: false }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
    await new Promise<void>((resolve) => server.once('request', () => setImmediate(resolve)));

    const closing = closeHttpServer(server, 60_000);
    answer();

    await expect(response).resolves.toEqual({ status: 200, body: 'done' });
    await closing;
    expect(server.listening).toBe(false);
  });

  it('resolves at once for a server that is not listening', async () => {
    await expect(closeHttpServer(http.createServer(), 60_000)).resolves.toBeUndefined();
  });
});
