import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';
import { createLogger } from '@lfs-depot/observability';
import { LocalStorage } from '@lfs-depot/storage';
import { logCapture } from '@lfs-depot/testing';

import { ProxyServer } from './proxy.server.js';

const OID = 'a'.repeat(64);
const UPLOAD = `/team/main.git/info/lfs/objects/${OID}/11`;

/** Sends `text` on a fresh connection and resolves with all the proxy wrote once it closed the connection. */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

function parsed(answer: string): { statusLine: string; headers: string; body: Record<string, unknown> } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...headers] = head.split('\r\n');
  return {
    statusLine,
    headers: headers.join('\n').toLowerCase(),
    body: JSON.parse(body) as Record<string, unknown>,
  };
}

describe(ProxyServer.name, () => {
  let root: string;
  let api: http.Server;
  let apiRequests = 0;
  let proxy: ProxyServer;
  let port: number;
  const out = logCapture();

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'proxy-server-'));
    api = http.createServer((_req, res) => {
      apiRequests += 1;
      res.writeHead(500);
      res.end();
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    proxy = new ProxyServer({
      apiUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
      internalSecret: 'proxy-server-spec-secret-0123456789-abcdef',
      storage: new LocalStorage(root),
      limits: { headersTimeoutMs: 200 },
      logger: createLogger({ app: 'proxy', level: 'info', format: 'json', destination: out }),
    });
    port = await proxy.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await proxy.close(100);
    api.closeAllConnections();
    await new Promise((resolve) => api.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  describe('requests the HTTP parser refuses', () => {
    it.each([
      [
        'two Content-Lengths',
        `PUT ${UPLOAD} HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nContent-Length: 5\r\n\r\nhello world`,
      ],
      [
        'Content-Length with Transfer-Encoding',
        `PUT ${UPLOAD} HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nTransfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\n0\r\n\r\n`,
      ],
      [
        'a Content-Length that is no number',
        `PUT ${UPLOAD} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\nhello world`,
      ],
      ['a folded header', `GET ${UPLOAD} HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n`],
    ])('answers %s with a JSON 400 MALFORMED_REQUEST and closes the connection', async (_name, text) => {
      const before = apiRequests;
      const { statusLine, headers, body } = parsed(await exchange(port, text));

      expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
      expect(headers).toContain(`content-type: ${LFS_MEDIA_TYPE}; charset=utf-8`);
      expect(headers).toContain('connection: close');
      expect(body).toMatchObject({
        code: 'MALFORMED_REQUEST',
        message: expect.stringContaining('not valid HTTP/1.1'),
        request_id: expect.any(String),
        documentation_url: expect.any(String),
      });
      expect(apiRequests).toBe(before);
      // The request id the client was given can be looked up.
      expect(out.parsed()).toContainEqual(
        expect.objectContaining({
          request_id: body.request_id,
          route: 'unparsed',
          status: 400,
          code: 'MALFORMED_REQUEST',
          client: '127.0.0.1',
        }),
      );
    });

    it('answers headers larger than it reads with a JSON 431 HEADERS_TOO_LARGE', async () => {
      const { statusLine, body } = parsed(
        await exchange(port, `GET /api/v1/users HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      );

      expect(statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
      expect(body).toMatchObject({ code: 'HEADERS_TOO_LARGE', request_id: expect.any(String) });
    });

    it('answers headers that never end with a JSON 408 REQUEST_TIMEOUT once HEADERS_TIMEOUT_SECONDS passed', async () => {
      const { statusLine, headers, body } = parsed(
        await exchange(port, `GET /api/v1/users HTTP/1.1\r\nHost: x\r\n`),
      );

      expect(statusLine).toBe('HTTP/1.1 408 Request Timeout');
      expect(headers).toContain('content-type: application/json; charset=utf-8');
      expect(body).toMatchObject({ code: 'REQUEST_TIMEOUT', message: expect.stringContaining('0.2 s') });
    });

    it('answers what is no HTTP at all with a JSON 400', async () => {
      const { statusLine, body } = parsed(await exchange(port, 'HELLO\r\n\r\n'));

      expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
      expect(body).toMatchObject({ code: 'MALFORMED_REQUEST' });
    });
  });

  it('refuses an expectation other than 100-continue with a JSON 417 EXPECTATION_FAILED, before asking the API', async () => {
    const before = apiRequests;
    const { statusLine, headers, body } = parsed(
      await exchange(
        port,
        `PUT ${UPLOAD} HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world`,
      ),
    );

    expect(statusLine).toBe('HTTP/1.1 417 Expectation Failed');
    expect(headers).toContain(`content-type: ${LFS_MEDIA_TYPE}; charset=utf-8`);
    expect(body).toMatchObject({
      code: 'EXPECTATION_FAILED',
      message: expect.stringContaining('Expect: 200-ok cannot be met'),
      request_id: expect.any(String),
    });
    expect(apiRequests).toBe(before);
  });
});
