import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import type { ApiHarness } from '../helpers/api-harness.js';
import {
  adminClient,
  startApiHarness,
  TEST_ADMIN_TOKEN,
  TEST_METRICS_TOKEN,
} from '../helpers/api-harness.js';

describe('admin API', () => {
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    api = await startApiHarness();
    admin = adminClient(api.url);
  });

  afterAll(async () => {
    await api.close();
  });

  describe('authentication', () => {
    it('rejects a request without a bearer token with 401 and a JSON error', async () => {
      const response = await fetch(`${api.url}/api/v1/projects`, { method: 'POST' });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ code: 'UNAUTHENTICATED', request_id: expect.any(String) });
    });

    it('rejects a wrong bearer token', async () => {
      const result = await adminClient(api.url, 'wrong-token-0123456789').createUser('nobody');
      expect(result.status).toBe(401);
    });

    it("answers 429 to a client address after 20 wrong bearer tokens, an admin user's right one included, but never to the bootstrap token, and counts no success", async () => {
      const client = '198.51.100.40';
      const rightOnes = await Promise.all(
        Array.from({ length: 30 }, () =>
          adminClient(api.url, undefined, client).call('GET', '/users/nobody'),
        ),
      );
      expect(rightOnes.map((answer) => answer.status)).toEqual(Array.from({ length: 30 }, () => 404));

      const wrong: number[] = [];
      for (let attempt = 0; attempt < 21; attempt += 1) {
        const guess = adminClient(api.url, `wrong-token-${attempt}-0123456789`, client);
        wrong.push((await guess.call('GET', '/users/nobody')).status);
      }
      expect(wrong).toEqual([...Array.from({ length: 20 }, () => 401), 429]);
      // The bootstrap token is compared before the throttle (no lookup to save, nothing to guess): still served.
      expect((await adminClient(api.url, undefined, client).call('GET', '/users/nobody')).status).toBe(404);
      await admin.createUser('throttled-root', 'password-throttled-root', true);
      const rootToken = (await admin.createToken('throttled-root')).body?.token as string;
      const limited = await adminClient(api.url, rootToken, client).call('GET', '/users/nobody');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('300');
      expect(limited.body).toMatchObject({ code: 'RATE_LIMITED' });
      expect(
        (await adminClient(api.url, undefined, '198.51.100.41').call('GET', '/users/nobody')).status,
      ).toBe(404);
    });

    it("accepts an admin user's token and refuses a regular user's", async () => {
      await admin.createUser('root2', 'password-root2', true);
      await admin.createUser('plain', 'password-plain');
      const adminToken = (await admin.createToken('root2')).body?.token as string;
      const plainToken = (await admin.createToken('plain')).body?.token as string;

      expect((await adminClient(api.url, adminToken).createUser('made-by-root2')).status).toBe(201);
      expect((await adminClient(api.url, plainToken).createUser('made-by-plain')).status).toBe(401);
    });
  });

  describe('users', () => {
    it('creates a user without exposing its password hash', async () => {
      const result = await admin.createUser('alice', 'correct horse battery');
      expect(result.status).toBe(201);
      expect(result.body).toEqual({
        id: expect.any(String),
        username: 'alice',
        admin: false,
        created_at: expect.any(String),
      });
    });

    it('rejects a duplicate username with 409', async () => {
      await admin.createUser('dup', 'password-dup');
      const result = await admin.createUser('dup', 'password-dup');
      expect(result.status).toBe(409);
      expect(result.body).toMatchObject({ code: 'ALREADY_EXISTS', message: "User 'dup' already exists" });
    });

    it.each([
      [{ username: '' }, 'username'],
      [{ username: 'bad name' }, 'username'],
      [{ username: 'ok', password: 'short' }, 'password'],
      [{ username: 'ok', admin: 'yes' }, 'admin'],
      [{ username: 'ok', extra: 1 }, 'extra'],
    ])('rejects %j with 422 naming the field', async (body, field) => {
      const result = await admin.call('POST', '/users', body);
      expect(result.status).toBe(422);
      expect(result.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(String(result.body?.message)).toContain(field);
    });

    it('answers malformed JSON with 400', async () => {
      const response = await fetch(`${api.url}/api/v1/users`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer test-admin-token-0123456789abcdef',
          'content-type': 'application/json',
        },
        body: '{"username": ',
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'MALFORMED_JSON' });
    });

    it('answers an oversized body with 413', async () => {
      const response = await fetch(`${api.url}/api/v1/users`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer test-admin-token-0123456789abcdef',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ username: 'x'.repeat(9 * 1024 * 1024) }),
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    });
  });

  describe('tokens', () => {
    it('returns the token once and lists it without the secret', async () => {
      await admin.createUser('tok', 'password-tok');
      const created = await admin.createToken('tok', 'laptop', '2099-01-01T00:00:00Z');
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: 'laptop',
        token: expect.stringMatching(/^lfsd_/),
        expires_at: '2099-01-01T00:00:00.000Z',
      });

      const listed = await admin.call('GET', '/users/tok/tokens');
      expect(listed.status).toBe(200);
      expect(JSON.stringify(listed.body)).not.toContain(String(created.body?.token));
    });

    it('rejects an expiry in the past with 422', async () => {
      await admin.createUser('tok-past', 'password-tok');
      const result = await admin.createToken('tok-past', 'old', '2001-01-01T00:00:00Z');
      expect(result.status).toBe(422);
    });

    it('answers 404 for an unknown user', async () => {
      const result = await admin.createToken('ghost');
      expect(result.status).toBe(404);
      expect(result.body).toMatchObject({ code: 'USER_NOT_FOUND' });
    });
  });

  describe('projects', () => {
    it('creates, shows, updates and deletes a nested project', async () => {
      const created = await admin.createProject('group/sub/name', 'public', 1024);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ path: 'group/sub/name', visibility: 'public', quota_bytes: 1024 });

      const encoded = encodeURIComponent('group/sub/name');
      expect((await admin.call('GET', `/projects/${encoded}`)).body).toMatchObject({
        path: 'group/sub/name',
        members: [],
      });

      const updated = await admin.call('PATCH', `/projects/${encoded}`, {
        visibility: 'private',
        quota_bytes: null,
      });
      expect(updated.body).toMatchObject({ visibility: 'private', quota_bytes: null });

      expect((await admin.call('DELETE', `/projects/${encoded}`)).status).toBe(204);
      expect((await admin.call('GET', `/projects/${encoded}`)).status).toBe(404);
    });

    it.each([
      '',
      '/leading',
      'trailing/',
      'a//b',
      'x.git',
      'a/.hidden',
      '-dash',
      'sp ace',
      'team/info/lfs/x',
      'info/lfs',
    ])('rejects the path %j with 422', async (projectPath) => {
      const result = await admin.createProject(projectPath);
      expect(result.status).toBe(422);
    });

    it('rejects a negative quota with 422', async () => {
      expect((await admin.createProject('neg-quota', 'private', -1)).status).toBe(422);
    });

    it('rejects a duplicate path with 409', async () => {
      await admin.createProject('twice');
      expect((await admin.createProject('twice')).status).toBe(409);
    });

    it('starts with zeroed statistics', async () => {
      await admin.createProject('stats/new', 'private', 5000);
      const result = await admin.statistics('stats/new');
      expect(result.body).toEqual({ lfs_objects_count: 0, lfs_objects_size: 0, quota_bytes: 5000 });
    });
  });

  describe('members', () => {
    it('sets, changes and removes a role', async () => {
      await admin.createProject('team/repo');
      await admin.createUser('bob', 'password-bob');
      expect((await admin.setMember('team/repo', 'bob', 'write')).body).toEqual({
        project: 'team/repo',
        username: 'bob',
        role: 'write',
      });
      await admin.setMember('team/repo', 'bob', 'maintainer');
      expect((await admin.call('GET', `/projects/${encodeURIComponent('team/repo')}`)).body?.members).toEqual(
        [{ username: 'bob', role: 'maintainer' }],
      );
      expect(
        (await admin.call('DELETE', `/projects/${encodeURIComponent('team/repo')}/members/bob`)).status,
      ).toBe(204);
      expect(
        (await admin.call('DELETE', `/projects/${encodeURIComponent('team/repo')}/members/bob`)).status,
      ).toBe(404);
    });

    it('rejects an unknown role with 422 and an unknown user with 404', async () => {
      await admin.createProject('team/roles');
      expect((await admin.setMember('team/roles', 'bob', 'owner')).status).toBe(422);
      expect((await admin.setMember('team/roles', 'nobody-here', 'read')).status).toBe(404);
    });
  });

  describe('documentation and health', () => {
    it('serves the OpenAPI document', async () => {
      const response = await fetch(`${api.url}/api/docs/openapi.json`);
      expect(response.status).toBe(200);
      const document = (await response.json()) as { paths: Record<string, unknown> };
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining(['/api/v1/users', '/api/v1/projects', '/api/v1/projects/{path}/statistics']),
      );
    });

    it('reports readiness of database and storage', async () => {
      const response = await fetch(`${api.url}/-/readiness`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        status: 'ok',
        checks: { database: 'ok', storage: 'ok', cache: 'ok' },
      });
    });

    it('exposes request counters in Prometheus text format to the metrics or admin token only', async () => {
      await fetch(`${api.url}/-/health`);
      const anonymous = await fetch(`${api.url}/metrics`);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
      const wrong = await fetch(`${api.url}/metrics`, { headers: { authorization: 'Bearer not-the-token' } });
      expect(wrong.status).toBe(401);
      for (const token of [TEST_METRICS_TOKEN, TEST_ADMIN_TOKEN]) {
        const response = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
        const text = await response.text();
        expect(text).toContain('# TYPE lfs_depot_http_requests_total counter');
        expect(text).toMatch(/lfs_depot_http_requests_total\{route="health",status="200",app="api"\} \d+/);
        expect(text).toContain('# TYPE process_cpu_seconds_total counter');
      }
    });

    it('answers 404 without a query to project paths and usernames holding a NUL', async () => {
      for (const [method, urlPath] of [
        ['GET', '/projects/team%00x'],
        ['GET', '/projects/team%00x/statistics'],
        ['PATCH', '/projects/team%00x'],
        ['GET', '/users/al%00ice'],
        ['POST', '/users/al%00ice/tokens'],
      ] as const) {
        let status = 0;
        const queries = await api.queries.during(async () => {
          const body =
            method === 'GET' ? undefined : method === 'PATCH' ? { visibility: 'public' } : { name: 'x' };
          status = (await admin.call(method, urlPath, body)).status;
        });
        expect({ method, urlPath, status }).toEqual({ method, urlPath, status: 404 });
        expect(queries).toBe(0);
      }
    });

    it('answers unknown routes with a JSON 404', async () => {
      const response = await fetch(`${api.url}/nope`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    });
  });
});
