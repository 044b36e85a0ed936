import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FallbackStorage, LocalStorage } from '@lfs-depot/storage';

import { JobsRepository } from '../../apps/api/src/jobs/jobs.repository.js';
import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, startApiHarness, TEST_ADMIN_TOKEN } from '../helpers/api-harness.js';
import { TestFactory } from '../helpers/factories.js';
import { OpenApiChecker } from '../helpers/openapi.js';

/** One request of the walk: the operation's template, its parameters, and what it must answer. */
interface Case {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  template: string;
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
  /** The raw body and its type, for routes that take no JSON (references, project import). */
  raw?: { body: string | Buffer; type: string };
  token?: string | null;
  status: number;
}

const ADMIN_PREFIX = '/api/v1/';

describe('OpenAPI document', () => {
  let api: ApiHarness;
  let checker: OpenApiChecker;
  let platformToken: string;
  let lockId: string;
  let revocableToken: string;
  let revocablePlatform: string;
  let jobId: string;
  /** An archive of the empty project oa/archive, as its export wrote it. */
  let archive: Buffer;
  const oid = 'c'.repeat(64);
  let storageRoot: string;

  beforeAll(async () => {
    // With a fallback, so that POST /storage/migrate can succeed too.
    storageRoot = await mkdtemp(path.join(os.tmpdir(), 'openapi-storage-'));
    const [primary, fallback] = [path.join(storageRoot, 'new'), path.join(storageRoot, 'old')];
    api = await startApiHarness(
      { STORAGE: `file://${primary}`, STORAGE_FALLBACK: `file://${fallback}` },
      { storage: new FallbackStorage(new LocalStorage(primary), new LocalStorage(fallback)) },
    );
    const admin = adminClient(api.url);
    const factory = TestFactory.forApi(api);
    const document = await fetch(`${api.url}/api/docs/openapi.json`);
    expect(document.status).toBe(200);
    checker = new OpenApiChecker((await document.json()) as ConstructorParameters<typeof OpenApiChecker>[0]);

    const alice = await factory.user({ username: 'oa-alice', password: 'alice-password' });
    await factory.user({ username: 'oa-bob' });
    await factory.user({ username: 'oa-doomed' });
    const project = await factory.project({ path: 'oa/engine', members: { 'oa-alice': 'write' } });
    await factory.project({ path: 'oa/doomed' });
    await factory.linkedObject(project.id, { oid, size: 12 });
    await factory.linkedObject(project.id, { oid: 'd'.repeat(64), size: 3 });
    lockId = (await factory.lock(project.id, alice.id, 'art/hero.psd')).id;
    revocableToken = String((await admin.createToken('oa-alice', 'revocable')).body?.id);
    platformToken = String((await admin.call('POST', '/platform-tokens', { name: 'oa-hooks' })).body?.token);
    revocablePlatform = String(
      (await admin.call('POST', '/platform-tokens', { name: 'oa-revoked' })).body?.id,
    );
    jobId = (await api.app.get(JobsRepository, { strict: false }).createJob('gc', { dry_run: true })).id;
    await factory.project({ path: 'oa/archive' });
    const exported = await fetch(`${api.url}/api/v1/projects/oa%2Farchive/export`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(exported.status).toBe(200);
    archive = Buffer.from(await exported.arrayBuffer());
  });

  afterAll(async () => {
    await api.close();
    await rm(storageRoot, { recursive: true, force: true });
  });

  function cases(): Case[] {
    const project = { path: 'oa/engine' };
    const ndjson = { body: `${JSON.stringify({ oid, size: 12 })}\n`, type: 'application/x-ndjson' };
    return [
      // users
      {
        method: 'POST',
        template: '/api/v1/users',
        body: { username: 'oa-new', password: 'new-password' },
        status: 201,
      },
      { method: 'POST', template: '/api/v1/users', body: { username: 'oa-new' }, status: 409 },
      { method: 'POST', template: '/api/v1/users', body: { username: 'bad name' }, status: 422 },
      { method: 'POST', template: '/api/v1/users', body: { username: 'oa-x' }, token: null, status: 401 },
      { method: 'GET', template: '/api/v1/users', query: 'prefix=oa-&limit=2', status: 200 },
      { method: 'GET', template: '/api/v1/users', query: 'limit=0', status: 422 },
      { method: 'GET', template: '/api/v1/users', token: 'platform', status: 403 },
      { method: 'GET', template: '/api/v1/users/{username}', params: { username: 'oa-alice' }, status: 200 },
      { method: 'GET', template: '/api/v1/users/{username}', params: { username: 'oa-ghost' }, status: 404 },
      {
        method: 'PUT',
        template: '/api/v1/users/{username}/password',
        params: { username: 'oa-bob' },
        body: { password: 'bob-password' },
        status: 204,
      },
      {
        method: 'PUT',
        template: '/api/v1/users/{username}/password',
        params: { username: 'oa-bob' },
        body: { password: 'short' },
        status: 422,
      },
      {
        method: 'PUT',
        template: '/api/v1/users/{username}/password',
        params: { username: 'oa-ghost' },
        body: { password: null },
        status: 404,
      },
      {
        method: 'POST',
        template: '/api/v1/users/{username}/tokens',
        params: { username: 'oa-bob' },
        body: { name: 'ci' },
        status: 201,
      },
      {
        method: 'POST',
        template: '/api/v1/users/{username}/tokens',
        params: { username: 'oa-ghost' },
        body: { name: 'ci' },
        status: 404,
      },
      {
        method: 'GET',
        template: '/api/v1/users/{username}/tokens',
        params: { username: 'oa-alice' },
        status: 200,
      },
      {
        method: 'GET',
        template: '/api/v1/users/{username}/tokens',
        params: { username: 'oa-ghost' },
        status: 404,
      },
      {
        method: 'DELETE',
        template: '/api/v1/users/{username}/tokens/{id}',
        params: { username: 'oa-alice', id: revocableToken },
        status: 204,
      },
      {
        method: 'DELETE',
        template: '/api/v1/users/{username}/tokens/{id}',
        params: { username: 'oa-alice', id: '999999' },
        status: 404,
      },
      {
        method: 'DELETE',
        template: '/api/v1/users/{username}',
        params: { username: 'oa-doomed' },
        status: 204,
      },
      {
        method: 'DELETE',
        template: '/api/v1/users/{username}',
        params: { username: 'oa-doomed' },
        status: 404,
      },
      // projects
      {
        method: 'POST',
        template: '/api/v1/projects',
        body: { path: 'oa/new', quota_bytes: 1024 },
        status: 201,
      },
      { method: 'POST', template: '/api/v1/projects', body: { path: 'oa/new' }, status: 409 },
      { method: 'POST', template: '/api/v1/projects', body: { path: 'x.git' }, status: 422 },
      {
        method: 'POST',
        template: '/api/v1/projects',
        raw: { body: '{"path": ', type: 'application/json' },
        status: 400,
      },
      { method: 'GET', template: '/api/v1/projects', query: 'prefix=oa/&limit=1', status: 200 },
      { method: 'GET', template: '/api/v1/projects', query: 'cursor=nope', status: 422 },
      { method: 'GET', template: '/api/v1/projects/{path}', params: project, status: 200 },
      { method: 'GET', template: '/api/v1/projects/{path}', params: { path: 'oa/none' }, status: 404 },
      {
        method: 'PATCH',
        template: '/api/v1/projects/{path}',
        params: project,
        body: { quota_bytes: null },
        status: 200,
      },
      {
        method: 'PATCH',
        template: '/api/v1/projects/{path}',
        params: project,
        body: { visibility: 'secret' },
        status: 422,
      },
      {
        method: 'PATCH',
        template: '/api/v1/projects/{path}',
        params: { path: 'oa/none' },
        body: {},
        status: 404,
      },
      { method: 'GET', template: '/api/v1/projects/{path}/members', params: project, status: 200 },
      {
        method: 'GET',
        template: '/api/v1/projects/{path}/members',
        params: { path: 'oa/none' },
        status: 404,
      },
      {
        method: 'PUT',
        template: '/api/v1/projects/{path}/members/{username}',
        params: { ...project, username: 'oa-bob' },
        body: { role: 'read' },
        status: 200,
      },
      {
        method: 'PUT',
        template: '/api/v1/projects/{path}/members/{username}',
        params: { ...project, username: 'oa-ghost' },
        body: { role: 'read' },
        status: 404,
      },
      {
        method: 'PUT',
        template: '/api/v1/projects/{path}/members/{username}',
        params: { ...project, username: 'oa-bob' },
        body: { role: 'owner' },
        status: 422,
      },
      {
        method: 'DELETE',
        template: '/api/v1/projects/{path}/members/{username}',
        params: { ...project, username: 'oa-bob' },
        status: 204,
      },
      {
        method: 'DELETE',
        template: '/api/v1/projects/{path}/members/{username}',
        params: { ...project, username: 'oa-bob' },
        status: 404,
      },
      { method: 'GET', template: '/api/v1/projects/{path}/statistics', params: project, status: 200 },
      {
        method: 'GET',
        template: '/api/v1/projects/{path}/statistics',
        params: { path: 'oa/none' },
        status: 404,
      },
      {
        method: 'GET',
        template: '/api/v1/projects/{path}/objects',
        params: project,
        query: 'limit=1',
        status: 200,
      },
      {
        method: 'GET',
        template: '/api/v1/projects/{path}/objects',
        params: { path: 'oa/none' },
        status: 404,
      },
      {
        method: 'GET',
        template: '/api/v1/projects/{path}/objects',
        params: project,
        query: 'limit=5000',
        status: 422,
      },
      { method: 'GET', template: '/api/v1/projects/{path}/locks', params: project, status: 200 },
      { method: 'GET', template: '/api/v1/projects/{path}/locks', params: { path: 'oa/none' }, status: 404 },
      {
        method: 'DELETE',
        template: '/api/v1/projects/{path}/locks/{id}',
        params: { ...project, id: lockId },
        status: 200,
      },
      {
        method: 'DELETE',
        template: '/api/v1/projects/{path}/locks/{id}',
        params: { ...project, id: lockId },
        status: 404,
      },
      {
        method: 'PUT',
        template: '/api/v1/projects/{path}/references',
        params: project,
        raw: ndjson,
        status: 200,
      },
      {
        method: 'PUT',
        template: '/api/v1/projects/{path}/references',
        params: { path: 'oa/none' },
        raw: ndjson,
        status: 404,
      },
      { method: 'GET', template: '/api/v1/projects/{path}/references', params: project, status: 200 },
      {
        method: 'GET',
        template: '/api/v1/projects/{path}/references',
        params: { path: 'oa/doomed' },
        status: 404,
      },
      {
        method: 'GET',
        template: '/api/v1/projects/{path}/export',
        params: { path: 'oa/archive' },
        status: 200,
      },
      { method: 'GET', template: '/api/v1/projects/{path}/export', params: { path: 'oa/none' }, status: 404 },
      {
        method: 'PUT',
        template: '/api/v1/projects/{path}/import',
        params: { path: 'oa/imported' },
        raw: { body: archive, type: 'application/x-tar' },
        status: 200,
      },
      {
        method: 'PUT',
        template: '/api/v1/projects/{path}/import',
        params: { path: 'oa/imported' },
        raw: { body: 'not a tar', type: 'application/x-tar' },
        status: 422,
      },
      {
        method: 'PUT',
        template: '/api/v1/projects/{path}/import',
        params: { path: 'oa/imported' },
        raw: { body: archive, type: 'application/gzip' },
        status: 415,
      },
      {
        method: 'DELETE',
        template: '/api/v1/projects/{path}/objects/{oid}',
        params: { ...project, oid },
        status: 200,
      },
      {
        method: 'DELETE',
        template: '/api/v1/projects/{path}/objects/{oid}',
        params: { ...project, oid },
        status: 404,
      },
      {
        method: 'DELETE',
        template: '/api/v1/projects/{path}/objects/{oid}',
        params: { ...project, oid: 'xyz' },
        status: 422,
      },
      { method: 'DELETE', template: '/api/v1/objects/{oid}', params: { oid: 'd'.repeat(64) }, status: 200 },
      { method: 'DELETE', template: '/api/v1/objects/{oid}', params: { oid: 'd'.repeat(64) }, status: 404 },
      { method: 'POST', template: '/api/v1/gc', body: { dry_run: true }, status: 202 },
      { method: 'POST', template: '/api/v1/gc', body: { project: 'oa/none' }, status: 404 },
      { method: 'POST', template: '/api/v1/storage/migrate', body: { concurrency: 2 }, status: 202 },
      { method: 'POST', template: '/api/v1/storage/migrate', body: { concurrency: 0 }, status: 422 },
      { method: 'POST', template: '/api/v1/scrub', body: { sample: 0.5 }, status: 202 },
      { method: 'POST', template: '/api/v1/scrub', body: { project: 'oa/none' }, status: 404 },
      { method: 'POST', template: '/api/v1/scrub', body: { sample: 2 }, status: 422 },
      { method: 'GET', template: '/api/v1/jobs', query: 'limit=1', status: 200 },
      { method: 'GET', template: '/api/v1/jobs', query: 'state=lost', status: 422 },
      { method: 'GET', template: '/api/v1/jobs/{id}', params: { id: jobId }, status: 200 },
      { method: 'GET', template: '/api/v1/jobs/{id}', params: { id: '999999999' }, status: 404 },
      { method: 'POST', template: '/api/v1/jobs/{id}/cancel', params: { id: jobId }, status: 200 },
      { method: 'POST', template: '/api/v1/jobs/{id}/cancel', params: { id: '999999999' }, status: 404 },
      {
        method: 'POST',
        template: '/api/v1/projects/{path}/push-check',
        params: project,
        body: {
          username: 'oa-alice',
          changes: [
            { ref: 'refs/heads/main', paths: ['a.txt'], pointers: [{ oid: 'e'.repeat(64), size: 1 }] },
          ],
        },
        token: 'platform',
        status: 200,
      },
      {
        method: 'POST',
        template: '/api/v1/projects/{path}/push-check',
        params: project,
        body: { username: 'oa-alice', changes: 'all' },
        status: 422,
      },
      {
        method: 'POST',
        template: '/api/v1/projects/{path}/push-check',
        params: { path: 'oa/none' },
        body: { username: 'oa-alice', changes: [] },
        status: 404,
      },
      {
        method: 'POST',
        template: '/api/v1/projects/{path}/lfs-authenticate',
        params: project,
        body: { username: 'oa-alice', operation: 'download' },
        token: 'platform',
        status: 200,
      },
      {
        method: 'POST',
        template: '/api/v1/projects/{path}/lfs-authenticate',
        params: project,
        body: { username: 'oa-ghost', operation: 'download' },
        status: 404,
      },
      {
        method: 'POST',
        template: '/api/v1/projects/{path}/lfs-authenticate',
        params: project,
        body: { username: 'oa-alice', operation: 'delete' },
        status: 422,
      },
      { method: 'DELETE', template: '/api/v1/projects/{path}', params: { path: 'oa/doomed' }, status: 204 },
      { method: 'DELETE', template: '/api/v1/projects/{path}', params: { path: 'oa/doomed' }, status: 404 },
      // platform tokens
      {
        method: 'POST',
        template: '/api/v1/platform-tokens',
        body: { name: 'oa-more', projects: ['oa/engine'] },
        status: 201,
      },
      { method: 'POST', template: '/api/v1/platform-tokens', body: { name: '' }, status: 422 },
      { method: 'GET', template: '/api/v1/platform-tokens', query: 'limit=1', status: 200 },
      { method: 'GET', template: '/api/v1/platform-tokens', token: 'platform', status: 403 },
      {
        method: 'DELETE',
        template: '/api/v1/platform-tokens/{id}',
        params: { id: revocablePlatform },
        status: 204,
      },
      { method: 'DELETE', template: '/api/v1/platform-tokens/{id}', params: { id: '424242' }, status: 404 },
      // audit
      { method: 'GET', template: '/api/v1/audit', query: 'limit=3', status: 200 },
      { method: 'GET', template: '/api/v1/audit', query: 'action=nothing', status: 422 },
      { method: 'GET', template: '/api/v1/audit', token: 'wrong-token-0123456789', status: 401 },
    ];
  }

  async function send(test: Case): Promise<{ status: number; body: unknown }> {
    let path = test.template;
    for (const [name, value] of Object.entries(test.params ?? {})) {
      path = path.replace(`{${name}}`, encodeURIComponent(value));
    }
    const token =
      test.token === 'platform' ? platformToken : test.token === undefined ? TEST_ADMIN_TOKEN : test.token;
    const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
    let body: string | Buffer | undefined;
    if (test.raw) {
      headers['content-type'] = test.raw.type;
      body = test.raw.body;
    } else if (test.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(test.body);
    }
    const response = await fetch(`${api.url}${path}${test.query ? `?${test.query}` : ''}`, {
      method: test.method,
      headers,
      body,
    });
    const text = await response.text();
    // A project archive is no JSON: what the document says of it is its media type, not a schema.
    if (response.headers.get('content-type') === 'application/x-tar') {
      return { status: response.status, body: undefined };
    }
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  }

  it('describes every admin answer, success and error, with the schema it has', async () => {
    const problems: string[] = [];
    for (const test of cases()) {
      const answer = await send(test);
      const label = `${test.method} ${test.template} ${JSON.stringify(test.params ?? {})} ${test.query ?? ''}`;
      if (answer.status !== test.status) {
        problems.push(
          `${label}: expected ${test.status}, got ${answer.status} ${JSON.stringify(answer.body)}`,
        );
      }
      problems.push(...checker.check(test.method, test.template, answer.status, answer.body));
    }
    expect(problems).toEqual([]);
  });

  it('has been walked through every admin operation with a success and an error (add a case for a new route)', () => {
    const untested = checker.operations(ADMIN_PREFIX).filter((operation) => {
      const statuses = [...(checker.seen.get(operation) ?? [])];
      return !statuses.some((status) => status < 300) || !statuses.some((status) => status >= 400);
    });
    expect(untested).toEqual([]);
  });

  it('refuses answers the document does not describe: an extra or missing field, a wrong type, an unlisted status', () => {
    const user = { id: '1', username: 'u', admin: false, created_at: '2026-12-01T12:00:00.000Z' };
    const route = '/api/v1/users/{username}';
    expect(checker.check('GET', route, 200, user)).toEqual([]);
    expect(checker.check('GET', route, 200, { ...user, password_hash: 'x' })).toEqual([
      expect.stringContaining('must NOT have additional properties'),
    ]);
    const { admin: _admin, ...withoutAdmin } = user;
    expect(checker.check('GET', route, 200, withoutAdmin)).toEqual([
      expect.stringContaining("must have required property 'admin'"),
    ]);
    expect(checker.check('GET', route, 200, { ...user, created_at: 'yesterday' })).toEqual([
      expect.stringContaining('must match format "date-time"'),
    ]);
    expect(checker.check('GET', route, 418, {})).toEqual([
      'GET /api/v1/users/{username} answered 418, which its OpenAPI responses do not list',
    ]);
    expect(checker.check('GET', route, 404, { message: 'm', request_id: 'r' })).toEqual([
      expect.stringContaining("must have required property 'code'"),
    ]);
    const page = {
      tokens: [
        {
          id: '1',
          name: 'n',
          expires_at: null,
          last_used_at: null,
          revoked_at: null,
          created_at: user.created_at,
        },
      ],
      next_cursor: null,
    };
    expect(checker.check('GET', '/api/v1/users/{username}/tokens', 200, page)).toEqual([]);
  });

  it('documents the errors every admin route shares (401, 403, 429, 503) on every operation', () => {
    const unlisted = checker.operations(ADMIN_PREFIX).filter((operation) => {
      const [method, template] = operation.split(' ') as [string, string];
      const responses = checker.document.paths[template]?.[method.toLowerCase()]?.responses ?? {};
      return !['401', '403', '429', '503'].every((status) => status in responses);
    });
    expect(unlisted).toEqual([]);
  });
});
