import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { formatBasicAuthorization } from '@lfs-depot/auth';
import { oidOf } from '@lfs-depot/testing';

import { BatchHttpHandler } from '../../apps/api/src/batch/batch-http.handler.js';
import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, startApiHarness } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';

const LFS = 'application/vnd.git-lfs+json';

interface Answer {
  status: number;
  headers: Record<string, string | null>;
  body: string;
}

/**
 * The batch fast path answers the common request ahead of Express; BatchController answers the rest (a query string
 * is enough to send a request there). These send the same requests both ways and expect the same answers, byte for
 * byte, for success and for every kind of failure.
 */
describe('batch fast path', () => {
  let api: ApiHarness;
  const handled = jest.spyOn(BatchHttpHandler.prototype, 'handle');
  const writer = formatBasicAuthorization('fast-writer', 'fast-writer-password');
  const reader = formatBasicAuthorization('fast-reader', 'fast-reader-password');
  const linked = oidOf('fast-path-linked');

  async function send(
    via: 'fast' | 'express',
    body: string,
    headers: Record<string, string> = {},
    project = 'fast/repo',
  ): Promise<Answer> {
    const response = await fetch(
      `${api.url}/${project}.git/info/lfs/objects/batch${via === 'express' ? '?via=express' : ''}`,
      {
        method: 'POST',
        headers: { accept: LFS, 'content-type': LFS, 'x-request-id': 'same-request-id-1', ...headers },
        body,
      },
    );
    const picked: Record<string, string | null> = {};
    for (const name of [
      'content-type',
      'content-length',
      'lfs-authenticate',
      'www-authenticate',
      'x-request-id',
    ]) {
      picked[name] = response.headers.get(name);
    }
    // A transfer token carries its expiry second: two requests may straddle one; a download grant its lookup time.
    const text = (await response.text())
      .replace(/"Authorization":"Basic [^"]*"/g, '"Authorization":"…"')
      .replace(/"X-Lfs-Depot-Grant":"[^"]*"/g, '"X-Lfs-Depot-Grant":"…"');
    return { status: response.status, headers: picked, body: text };
  }

  /** Sends the request both ways; returns the fast path's answer after checking Express gave the same. */
  async function bothWays(body: string, headers?: Record<string, string>, project?: string): Promise<Answer> {
    handled.mockClear();
    const fast = await send('fast', body, headers, project);
    expect(handled).toHaveBeenCalledTimes(1);
    const viaExpress = await send('express', body, headers, project);
    expect(handled).toHaveBeenCalledTimes(1);
    // A reused transfer token's expires_in counts down: the two requests may straddle a second.
    const sameSecond = (answer: Answer): Answer => ({
      ...answer,
      body: answer.body.replace(/"expires_in":\d+/g, '"expires_in":0'),
    });
    expect(sameSecond(fast)).toEqual(sameSecond(viaExpress));
    return fast;
  }

  const download = (oids: string[]): string =>
    JSON.stringify({ operation: 'download', objects: oids.map((oid) => ({ oid, size: 5 })) });

  beforeAll(async () => {
    api = await startApiHarness({ MAX_OBJECTS_PER_BATCH: '100' });
    const admin = adminClient(api.url);
    await admin.createUser('fast-writer', 'fast-writer-password');
    await admin.createUser('fast-reader', 'fast-reader-password');
    const factory = TestFactory.forApi(api);
    const project = await factory.project({
      path: 'fast/repo',
      members: { 'fast-writer': 'write', 'fast-reader': 'read' },
    });
    await factory.project({ path: 'fast/public', visibility: 'public' });
    await factory.linkedObject(project.id, { oid: linked, size: 5 });
  });

  afterEach(() => {
    handled.mockClear();
  });

  afterAll(async () => {
    handled.mockRestore();
    await api.close();
  });

  it('answers a download batch as the Nest route does', async () => {
    const answer = await bothWays(download([linked, oidOf('fast-path-missing')]), { authorization: writer });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(`${LFS}; charset=utf-8`);
    expect(answer.headers['x-request-id']).toBe('same-request-id-1');
    expect(JSON.parse(answer.body)).toMatchObject({
      transfer: 'basic',
      objects: [
        { oid: linked, size: 5, authenticated: true, actions: { download: { expires_in: 3600 } } },
        { size: 5, error: { code: 404 } },
      ],
    });
  });

  it('answers an upload batch, and a reader trying one, as the Nest route does', async () => {
    const upload = JSON.stringify({ operation: 'upload', objects: [{ oid: linked, size: 5 }] });
    expect((await bothWays(upload, { authorization: writer })).status).toBe(200);
    expect((await bothWays(upload, { authorization: reader })).status).toBe(403);
  });

  it('refuses missing, wrong and malformed credentials as the Nest route does', async () => {
    const body = download([linked]);
    expect((await bothWays(body)).status).toBe(401);
    const wrong = await bothWays(body, { authorization: formatBasicAuthorization('fast-writer', 'nope') });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['lfs-authenticate']).toMatch(/^Basic /);
    expect((await bothWays(body, { authorization: 'Bearer something' })).status).toBe(401);
  });

  it('answers anonymous reads of a public project and unknown projects as the Nest route does', async () => {
    expect((await bothWays(download([linked]), {}, 'fast/public')).status).toBe(200);
    expect((await bothWays(download([linked]), { authorization: writer }, 'fast/nowhere')).status).toBe(404);
  });

  it('refuses bodies that are not a batch request as the Nest route does', async () => {
    const auth = { authorization: writer };
    expect((await bothWays('{"operation": ', auth)).status).toBe(400);
    expect((await bothWays('"a string"', auth)).status).toBe(400);
    expect((await bothWays('  []', auth)).status).toBe(422);
    expect((await bothWays('', auth)).status).toBe(422);
    expect((await bothWays('\ufeff{"operation":"download","objects":[]}', auth)).status).toBe(200);
    expect((await bothWays('{"operation":"download","objects":[],"hash_algo":"md5"}', auth)).status).toBe(
      409,
    );
    const tooMany = download(Array.from({ length: 101 }, (_, i) => oidOf(`fast-${i}`)));
    expect((await bothWays(tooMany, auth)).status).toBe(413);
    const huge = `{"operation":"download","objects":[],"padding":"${'x'.repeat(9 * 1024 * 1024)}"}`;
    expect((await bothWays(huge, auth)).status).toBe(413);
  });

  it('leaves requests it does not parse itself to Express', async () => {
    handled.mockClear();
    const body = download([linked]);
    const wrongAccept = await send('fast', body, { authorization: writer, accept: 'application/json' });
    expect(wrongAccept.status).toBe(406);
    const otherCharset = await send('fast', body, {
      authorization: writer,
      'content-type': `${LFS}; charset=latin1`,
    });
    expect(otherCharset.status).toBe(415);
    expect(handled).not.toHaveBeenCalled();
  });
});
