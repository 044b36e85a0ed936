import http from 'node:http';
import net from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatBasicAuthorization } from '@lfs-depot/auth';

import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, startApiHarness, TEST_ADMIN_TOKEN } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';

const LFS = 'application/vnd.git-lfs+json';
const MIB = 1024 * 1024;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/**
 * Sends the headers and `sent` (a part of the body at most), and resolves with the answer while the request is still
 * open: a server that waited for the rest of the body would never answer, and the test would time out.
 */
function sendUnfinished(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  sent: string | Buffer = '',
): Promise<Answer> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    // Keep-alive asked for explicitly (agent: false would ask for close): a Connection: close answer is then the server's.
    const req = http.request(url, {
      method: 'POST',
      headers: { connection: 'keep-alive', ...headers },
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        });
      });
    });
    req.flushHeaders();
    if (sent.length > 0) {
      req.write(sent);
    }
  });
}

/** A body of `[{},{},…]` that never ends: the shape that cost the most to parse. */
function emptyObjects(bytes: number): string {
  return `[${'{},'.repeat(Math.floor(bytes / 3))}`;
}

describe('request bodies: read after authentication, within per-route limits', () => {
  let api: ApiHarness;
  const writer = formatBasicAuthorization('bodies-writer', 'bodies-writer-password');
  const lfsHeaders = { accept: LFS, 'content-type': LFS };

  beforeAll(async () => {
    api = await startApiHarness({ MAX_OBJECTS_PER_BATCH: '100' });
    const admin = adminClient(api.url);
    await admin.createUser('bodies-writer', 'bodies-writer-password');
    const factory = TestFactory.forApi(api);
    await factory.project({ path: 'bodies/private', members: { 'bodies-writer': 'write' } });
    await factory.project({ path: 'bodies/public', visibility: 'public' });
  });

  afterAll(async () => {
    await api.close();
  });

  it('answers an anonymous 8 MiB lock request with 401 without reading its body', async () => {
    const answer = await sendUnfinished(
      api.url,
      '/bodies/private.git/info/lfs/locks',
      { ...lfsHeaders, 'content-length': String(8 * MIB) },
      emptyObjects(64 * 1024),
    );
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(answer.headers.connection).toBe('close');
  });

  it('answers wrong credentials and strangers on every locking route without reading the body', async () => {
    const wrong = formatBasicAuthorization('bodies-writer', 'wrong-password');
    for (const path of ['locks', 'locks/verify', 'locks/1/unlock']) {
      const answer = await sendUnfinished(api.url, `/bodies/private.git/info/lfs/${path}`, {
        ...lfsHeaders,
        authorization: wrong,
        'content-length': String(MIB),
      });
      expect(answer.status).toBe(401);
    }
    const stranger = await sendUnfinished(api.url, '/bodies/nowhere.git/info/lfs/locks', {
      ...lfsHeaders,
      authorization: writer,
      'content-length': String(MIB),
    });
    expect(stranger.status).toBe(404);
  });

  it('answers an anonymous or unauthenticated batch of a private project without reading its body', async () => {
    // The fast path (plain Git LFS request) and BatchController (a query string sends it there) alike.
    for (const query of ['', '?via=express']) {
      const anonymous = await sendUnfinished(
        api.url,
        `/bodies/private.git/info/lfs/objects/batch${query}`,
        { ...lfsHeaders, 'content-length': String(8 * MIB) },
        emptyObjects(64 * 1024),
      );
      expect(anonymous.status).toBe(401);
      const wrong = await sendUnfinished(api.url, `/bodies/private.git/info/lfs/objects/batch${query}`, {
        ...lfsHeaders,
        authorization: formatBasicAuthorization('bodies-writer', 'nope'),
        'content-length': String(MIB),
      });
      expect(wrong.status).toBe(401);
    }
  });

  it('refuses a Content-Length over the route limit with 413 before any of the body is sent', async () => {
    const cases: Array<[string, Record<string, string>, number]> = [
      ['/bodies/private.git/info/lfs/locks', { ...lfsHeaders, authorization: writer }, 16 * 1024],
      ['/bodies/private.git/info/lfs/objects/batch', { ...lfsHeaders, authorization: writer }, 100 * 256],
      [
        '/bodies/private.git/info/lfs/objects/batch?via=express',
        { ...lfsHeaders, authorization: writer },
        100 * 256,
      ],
      // Anonymous downloads of a public project read a body, but only up to the batch limit.
      ['/bodies/public.git/info/lfs/objects/batch', lfsHeaders, 100 * 256],
      [
        '/api/v1/users',
        { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        64 * 1024,
      ],
      [
        '/api/v1/projects/bodies%2Fprivate/push-check',
        { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        8 * MIB,
      ],
    ];
    for (const [path, headers, limit] of cases) {
      const answer = await sendUnfinished(api.url, path, { ...headers, 'content-length': String(limit + 1) });
      expect({ path, status: answer.status, code: answer.body.code }).toEqual({
        path,
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      });
      // A small unread rest is read through to keep the connection; a large one is not worth reading.
      expect({ path, connection: answer.headers.connection }).toEqual({
        path,
        connection: limit + 1 > MIB ? 'close' : 'keep-alive',
      });
    }
  });

  it('cuts a chunked body off at the limit with 413', async () => {
    for (const path of [
      '/bodies/private.git/info/lfs/locks',
      '/bodies/private.git/info/lfs/objects/batch',
      '/bodies/public.git/info/lfs/objects/batch',
    ]) {
      const headers: Record<string, string> = { ...lfsHeaders, 'transfer-encoding': 'chunked' };
      if (!path.includes('public')) {
        headers.authorization = writer;
      }
      const answer = await sendUnfinished(api.url, path, headers, emptyObjects(64 * 1024));
      expect({ path, status: answer.status }).toEqual({ path, status: 413 });
    }
  });

  it('reads the admin API body only after the admin token is checked', async () => {
    for (const path of ['/api/v1/users', '/api/v1/projects/bodies%2Fprivate/push-check']) {
      for (const authorization of [undefined, 'Bearer not-an-admin-token-0123456789']) {
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'content-length': String(8 * MIB),
        };
        if (authorization) {
          headers.authorization = authorization;
        }
        const answer = await sendUnfinished(api.url, path, headers, emptyObjects(64 * 1024));
        expect({ path, status: answer.status }).toEqual({ path, status: 401 });
      }
    }
  });

  it('still parses what fits: a batch just under its limit and a lock request', async () => {
    const padding = 'x'.repeat(100 * 256 - 200);
    const batch = await fetch(`${api.url}/bodies/public.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: lfsHeaders,
      body: JSON.stringify({ operation: 'download', objects: [], padding }),
    });
    expect(batch.status).toBe(200);
    const lock = await fetch(`${api.url}/bodies/private.git/info/lfs/locks`, {
      method: 'POST',
      headers: { ...lfsHeaders, authorization: writer },
      body: JSON.stringify({ path: 'fits.bin' }),
    });
    expect(lock.status).toBe(201);
  });

  /** Writes `raw` on one connection and resolves with the status lines answered once the server closed it. */
  function statusLines(raw: string): Promise<string[]> {
    const { hostname, port } = new URL(api.url);
    const socket = net.connect(Number(port), hostname);
    const received: Buffer[] = [];
    return new Promise((resolve) => {
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.on('close', () =>
        resolve(
          Buffer.concat(received)
            .toString('latin1')
            .match(/HTTP\/1\.1 \d{3}/g) ?? [],
        ),
      );
      socket.write(raw);
    });
  }

  const smuggled = 'GET /-/health HTTP/1.1\r\nHost: x\r\n\r\n';
  const lockHead = `POST /bodies/private.git/info/lfs/locks HTTP/1.1\r\nHost: x\r\nAccept: ${LFS}\r\nContent-Type: ${LFS}\r\n`;

  it('closes the connection after refusing a large body it did not read, never parsing the rest', async () => {
    const lines = await statusLines(`${lockHead}Content-Length: ${2 * MIB}\r\n\r\n${smuggled}`);
    expect(lines).toEqual(['HTTP/1.1 401']);
  });

  it('reads through a small refused body and answers the next request on the connection', async () => {
    const body = smuggled.padEnd(200, ' ');
    const next = 'GET /-/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    const lines = await statusLines(`${lockHead}Content-Length: ${body.length}\r\n\r\n${body}${next}`);
    expect(lines).toEqual(['HTTP/1.1 401', 'HTTP/1.1 200']);
  });
});
