import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { signInternalRequest } from '@lfs-depot/auth';
import type { UploadAuthorization } from '@lfs-depot/contracts';
import {
  ACTING_USER_HEADER,
  INTERNAL_PATHS,
  INTERNAL_SIGNATURE_HEADER,
  LFS_MEDIA_TYPE,
} from '@lfs-depot/contracts';
import { createLogger } from '@lfs-depot/observability';
import { objectKey } from '@lfs-depot/storage';
import { bodyOf, expectedFor, oidOf } from '@lfs-depot/testing';

import { InternalTransfersHttpHandler } from '../../apps/api/src/transfers/internal-transfers-http.handler.js';
import type { ApiHarness } from '../helpers/api-harness.js';
import { signedInternalHeaders, startApiHarness, TEST_INTERNAL_KEYS } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';

/** The API's log lines, as JSON objects. */
class CapturedLines extends Writable {
  readonly lines: Record<string, unknown>[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    callback();
  }
}

interface Answer {
  status: number;
  headers: Record<string, string | null>;
  body: string;
}

/**
 * The internal fast path answers the proxy's finalize and download authorize calls ahead of Express; the
 * controller answers the rest (a query string is enough to send a call there). These send the same calls both ways
 * and expect the same answers, byte for byte, for success and for every kind of failure.
 */
describe('internal transfers fast path', () => {
  let api: ApiHarness;
  let factory: TestFactory;
  const captured = new CapturedLines();
  let username: string;
  const handled = jest.spyOn(InternalTransfersHttpHandler.prototype, 'handle');
  const password = 'fast-internal-password';
  let authorization: string;
  let projectPath: string;
  let linked: { oid: string; size: number };

  async function send(
    via: 'fast' | 'express',
    internalPath: string,
    body: string,
    options: { signed?: boolean; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const url = `${internalPath}${via === 'express' ? '?via=express' : ''}`;
    const response = await fetch(`${api.url}${url}`, {
      method: 'POST',
      headers: {
        ...(options.signed === false
          ? { 'content-type': 'application/json' }
          : signedInternalHeaders(url, body)),
        'x-request-id': 'same-internal-request-id',
        ...options.headers,
      },
      body,
    });
    const picked: Record<string, string | null> = {};
    for (const name of ['content-type', 'content-length', 'x-request-id', ACTING_USER_HEADER]) {
      picked[name] = response.headers.get(name);
    }
    return { status: response.status, headers: picked, body: await response.text() };
  }

  /** Sends the call both ways; returns the fast path's answer after checking Express gave the same. */
  async function bothWays(
    internalPath: string,
    body: string | (() => Promise<string>),
    options?: { signed?: boolean; headers?: Record<string, string> },
  ): Promise<Answer> {
    const bodyFor = async (): Promise<string> => (typeof body === 'string' ? body : body());
    handled.mockClear();
    const fast = await send('fast', internalPath, await bodyFor(), options);
    expect(handled).toHaveBeenCalledTimes(1);
    const viaExpress = await send('express', internalPath, await bodyFor(), options);
    expect(handled).toHaveBeenCalledTimes(1);
    expect(fast).toEqual(viaExpress);
    return fast;
  }

  const downloadBody = (oid: string, credentials = authorization): string =>
    JSON.stringify({ project: projectPath, oid, authorization: credentials });

  /** A finalize body for new bytes this test stored, with the ticket an upload authorize handed out for them. */
  async function uploadedFinalizeBody(): Promise<string> {
    const content = randomBytes(64);
    const object = expectedFor(content);
    const body = JSON.stringify({ project: projectPath, ...object, authorization });
    const response = await fetch(`${api.url}${INTERNAL_PATHS.authorizeUpload}`, {
      method: 'POST',
      headers: signedInternalHeaders(INTERNAL_PATHS.authorizeUpload, body),
      body,
    });
    expect(response.status).toBe(200);
    const { ticket, storageKey } = (await response.json()) as UploadAuthorization;
    await api.storage.put(storageKey, bodyOf(content), object);
    return JSON.stringify({ ...object, ticket });
  }

  beforeAll(async () => {
    api = await startApiHarness(
      {},
      { logger: createLogger({ app: 'api', level: 'log', format: 'json', destination: captured }) },
    );
    factory = TestFactory.forApi(api);
    const writer = await factory.user({ password });
    username = writer.username;
    authorization = `Basic ${Buffer.from(`${writer.username}:${password}`).toString('base64')}`;
    const project = await factory.project({ members: { [writer.username]: 'write' } });
    projectPath = project.path;
    const content = randomBytes(32);
    linked = expectedFor(content);
    await factory.linkedObject(project.id, { ...linked, storageKey: objectKey(linked.oid) });
    await api.storage.put(objectKey(linked.oid), bodyOf(content), linked);
  });

  afterAll(async () => {
    await api.close();
  });

  it('authorizes a download of a linked object, naming the user', async () => {
    const answer = await bothWays(INTERNAL_PATHS.authorizeDownload, downloadBody(linked.oid));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/vnd.lfs-depot.authorize+json; charset=utf-8');
    expect(JSON.parse(answer.body)).toEqual({ storageKey: objectKey(linked.oid), size: linked.size });
    expect(answer.headers[ACTING_USER_HEADER]).not.toBeNull();
  });

  it('refuses downloads the same way: unknown object, bad credentials, bad oid, unknown project', async () => {
    expect((await bothWays(INTERNAL_PATHS.authorizeDownload, downloadBody(oidOf('nobody')))).status).toBe(
      404,
    );
    const wrong = `Basic ${Buffer.from('nobody-at-all:wrong-password').toString('base64')}`;
    expect((await bothWays(INTERNAL_PATHS.authorizeDownload, downloadBody(linked.oid, wrong))).status).toBe(
      401,
    );
    expect((await bothWays(INTERNAL_PATHS.authorizeDownload, downloadBody('not-an-oid'))).status).toBe(422);
    const elsewhere = JSON.stringify({ project: 'no/such-project', oid: linked.oid, authorization });
    expect((await bothWays(INTERNAL_PATHS.authorizeDownload, elsewhere)).status).toBe(404);
  });

  it('links an upload once (linked true, then false), and refuses a bad ticket', async () => {
    let body = '';
    const once = await bothWays(
      INTERNAL_PATHS.finalizeUpload,
      async () => (body = await uploadedFinalizeBody()),
    );
    expect(once).toMatchObject({ status: 200, body: '{"linked":true}' });
    expect(once.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(once.headers[ACTING_USER_HEADER]).toBe(encodeURIComponent(username));
    expect(await bothWays(INTERNAL_PATHS.finalizeUpload, body)).toMatchObject({
      status: 200,
      body: '{"linked":false}',
    });
    const forged = JSON.stringify({ ...JSON.parse(body), ticket: 'forged' });
    expect((await bothWays(INTERNAL_PATHS.finalizeUpload, forged)).status).toBe(403);
  });

  it('refuses unsigned, replayed, malformed and oversized calls the same way', async () => {
    const unsigned = await bothWays(INTERNAL_PATHS.finalizeUpload, '{}', { signed: false });
    expect(unsigned.status).toBe(403);
    expect(unsigned.body).toContain('missing or invalid proxy signature');

    for (const via of ['fast', 'express'] as const) {
      const url = `${INTERNAL_PATHS.authorizeDownload}${via === 'express' ? '?via=express' : ''}`;
      const body = downloadBody(linked.oid);
      const headers = signedInternalHeaders(url, body);
      const first = await fetch(`${api.url}${url}`, { method: 'POST', headers, body });
      expect(first.status).toBe(200);
      const replay = await fetch(`${api.url}${url}`, { method: 'POST', headers, body });
      expect(replay.status).toBe(403);
      expect(await replay.text()).toContain('a replay');
    }

    expect((await bothWays(INTERNAL_PATHS.finalizeUpload, '{"oid":')).status).toBe(400);
    const large = JSON.stringify({ padding: 'x'.repeat(70 * 1024) });
    expect((await bothWays(INTERNAL_PATHS.finalizeUpload, large)).status).toBe(413);
  });

  /** A transfer token for an upload of `object`, from an upload batch as git-lfs gets it. */
  async function transferToken(object: { oid: string; size: number }): Promise<string> {
    const response = await fetch(`${api.url}/${projectPath}.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: { accept: LFS_MEDIA_TYPE, 'content-type': LFS_MEDIA_TYPE, authorization },
      body: JSON.stringify({ operation: 'upload', objects: [object] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      objects: { actions: { upload: { header: { Authorization: string } } } }[];
    };
    return body.objects[0]?.actions.upload.header.Authorization ?? '';
  }

  it('names the user and the project of a finalize in its access line, both ways', async () => {
    const content = randomBytes(80);
    const object = expectedFor(content);
    const token = await transferToken(object);
    await api.storage.put(objectKey(object.oid), bodyOf(content), object);
    const body = JSON.stringify({
      project: projectPath,
      ...object,
      authorization: token,
      started_at: Date.now(),
    });

    const headers = { 'x-request-id': 'finalize-access-line' };
    handled.mockClear();
    const fast = await send('fast', INTERNAL_PATHS.finalizeUpload, body, { headers });
    expect(handled).toHaveBeenCalledTimes(1);
    const viaExpress = await send('express', INTERNAL_PATHS.finalizeUpload, body, { headers });

    expect([fast, viaExpress]).toEqual([
      expect.objectContaining({ status: 200, body: '{"linked":true}' }),
      expect.objectContaining({ status: 200, body: '{"linked":false}' }),
    ]);
    for (const answer of [fast, viaExpress]) {
      expect(answer.headers[ACTING_USER_HEADER]).toBe(encodeURIComponent(username));
    }
    const lines = captured.lines.filter(
      (line) => line.request_id === 'finalize-access-line' && line.status !== undefined,
    );
    expect(lines).toEqual([
      expect.objectContaining({ route: 'internal', status: 200, user: username, project: projectPath }),
      expect.objectContaining({ route: 'internal', status: 200, user: username, project: projectPath }),
    ]);
  });

  /** Sends a download authorize signed with this nonce, via the fast path or via Express; returns the answer. */
  async function withNonce(
    via: 'fast' | 'express',
    nonce: string,
  ): Promise<{ status: number; text: string }> {
    const url = `${INTERNAL_PATHS.authorizeDownload}${via === 'express' ? '?via=express' : ''}`;
    const body = downloadBody(linked.oid);
    const response = await fetch(`${api.url}${url}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [INTERNAL_SIGNATURE_HEADER]: signInternalRequest(
          TEST_INTERNAL_KEYS.request,
          'POST',
          url,
          body,
          Date.now(),
          nonce,
        ),
      },
      body,
    });
    return { status: response.status, text: await response.text() };
  }

  // The shared cache is the first memory of nonces; while Redis is unreachable it remembers nothing (a down cache
  // answers "new"), and only this process's own memory refuses a replay: it must be one memory for both paths.
  it.each([
    ['the fast path', 'Express', 'fast', 'express'],
    ['Express', 'the fast path', 'express', 'fast'],
  ] as const)(
    'refuses on %s a nonce used on %s, also while the shared cache remembers nothing',
    async (_first, _second, first, second) => {
      const forgetful = jest.spyOn(api.cache, 'setIfAbsent').mockResolvedValue(true);
      try {
        const nonce = randomBytes(16).toString('base64url');
        expect((await withNonce(first, nonce)).status).toBe(200);
        const replay = await withNonce(second, nonce);
        expect(replay.status).toBe(403);
        expect(replay.text).toContain('a replay');
      } finally {
        forgetful.mockRestore();
      }
    },
  );
});
