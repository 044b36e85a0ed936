import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatBasicAuthorization } from '@lfs-depot/auth';
import { oidOf } from '@lfs-depot/testing';

import { AccessCache } from '../../apps/api/src/cache/access-cache.js';
import { ProjectsRepository } from '../../apps/api/src/projects/projects.repository.js';
import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, clientAddressHeader, startApiHarness } from '../helpers/api-harness.js';
import { randomOid, TestFactory } from '../helpers/factories.js';
import { validateAgainstSchema } from '../helpers/lfs-schemas.js';

const LFS = 'application/vnd.git-lfs+json';

describe('batch API and LFS authentication', () => {
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;
  let writerToken: string;
  const writer = { username: 'writer', password: 'writer-password' };
  const reader = { username: 'reader', password: 'reader-password' };
  const outsider = { username: 'outsider', password: 'outsider-password' };

  async function batch(
    project: string,
    body: unknown,
    options: { auth?: string; accept?: string; raw?: string; forwardedFor?: string; client?: string } = {},
  ): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
    const response = await fetch(`${api.url}/${project}.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: {
        accept: options.accept ?? LFS,
        'content-type': LFS,
        ...(options.auth ? { authorization: options.auth } : {}),
        ...(options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {}),
        ...(options.client ? clientAddressHeader(options.client) : {}),
      },
      body: options.raw ?? JSON.stringify(body),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  const basic = (who: { username: string; password: string }) =>
    formatBasicAuthorization(who.username, who.password);

  beforeAll(async () => {
    api = await startApiHarness({ MAX_OBJECTS_PER_BATCH: '1000', MAX_OBJECT_SIZE: String(1024 ** 3) });
    admin = adminClient(api.url);
    for (const who of [writer, reader, outsider]) {
      await admin.createUser(who.username, who.password);
    }
    await admin.createProject('acme/private');
    await admin.createProject('acme/public', 'public');
    await admin.createProject('acme/quota', 'private', 1000);
    for (const project of ['acme/private', 'acme/public', 'acme/quota']) {
      await admin.setMember(project, writer.username, 'write');
      await admin.setMember(project, reader.username, 'read');
    }
    writerToken = (await admin.createToken('writer', 'ci')).body?.token as string;
  });

  afterAll(async () => {
    await api.close();
  });

  describe('authentication', () => {
    it('answers 401 with LFS-Authenticate to anonymous requests on a private project', async () => {
      const result = await batch('acme/private', { operation: 'download', objects: [] });
      expect(result.status).toBe(401);
      expect(result.headers.get('lfs-authenticate')).toMatch(/^Basic realm=/);
      expect(result.headers.get('content-type')).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(result.body).toMatchObject({ message: expect.any(String), request_id: expect.any(String) });
    });

    it('answers 401 with a JSON error to credentials that are not HTTP Basic or not decodable', async () => {
      for (const auth of [
        `Bearer ${writerToken}`,
        'Basic',
        'Basic !!!not-base64!!!',
        `Basic ${Buffer.from('no-colon').toString('base64')}`,
      ]) {
        const result = await batch('acme/public', { operation: 'download', objects: [] }, { auth });
        expect({ auth, status: result.status }).toEqual({ auth, status: 401 });
        expect(result.body).toMatchObject({ message: 'Invalid username, password or token' });
      }
    });

    it('answers 401 without a query to a Basic username holding a NUL, and 404 to such a project path', async () => {
      let status = 0;
      const queries = await api.queries.during(async () => {
        status = (
          await batch(
            'acme/private',
            { operation: 'download', objects: [] },
            { auth: basic({ username: 'wri\u0000ter', password: 'whatever-password' }) },
          )
        ).status;
      });
      expect(status).toBe(401);
      expect(queries).toBe(0);
      expect((await batch('acme%00private', { operation: 'download', objects: [] })).status).toBe(404);
    });

    it('answers 401 to a wrong password and to an unknown user', async () => {
      expect(
        (
          await batch(
            'acme/private',
            { operation: 'download', objects: [] },
            { auth: basic({ ...writer, password: 'nope-nope' }) },
          )
        ).status,
      ).toBe(401);
      expect(
        (
          await batch(
            'acme/private',
            { operation: 'download', objects: [] },
            { auth: basic({ username: 'ghost', password: 'whatever' }) },
          )
        ).status,
      ).toBe(401);
    });

    it('answers 429 with Retry-After once a client has failed too many sign-ins', async () => {
      const guessing = { auth: basic({ username: 'writer', password: 'guess-guess' }) };
      const body = { operation: 'download', objects: [] };
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 21; attempt += 1) {
        statuses.push((await batch('acme/private', body, { ...guessing, client: '203.0.113.9' })).status);
      }
      expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
      const limited = await batch('acme/private', body, { auth: basic(writer), client: '203.0.113.9' });
      expect(statuses[20]).toBe(429);
      // The right password from the same client and username waits too; other clients are unaffected.
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('300');
      expect(
        (await batch('acme/private', body, { auth: basic(writer), client: '203.0.113.10' })).status,
      ).toBe(200);
    });

    it('throttles made-up lfsd_ tokens given as the Basic password like wrong passwords', async () => {
      const holder = { username: 'token-holder', password: 'token-holder-password' };
      await admin.createUser(holder.username, holder.password);
      await admin.setMember('acme/private', holder.username, 'read');
      const token = (await admin.createToken(holder.username, 'ci')).body?.token as string;
      const body = { operation: 'download', objects: [] };
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 21; attempt += 1) {
        const made = basic({ username: holder.username, password: `lfsd_made-up-${attempt}` });
        statuses.push((await batch('acme/private', body, { auth: made, client: '203.0.113.40' })).status);
      }

      expect(statuses).toEqual([...Array.from({ length: 20 }, () => 401), 429]);
      // The address's password sign-ins for that username wait too; the real token from elsewhere still works.
      expect(
        (await batch('acme/private', body, { auth: basic(holder), client: '203.0.113.40' })).status,
      ).toBe(429);
      const real = basic({ username: holder.username, password: token });
      expect((await batch('acme/private', body, { auth: real, client: '203.0.113.41' })).status).toBe(200);
    });

    it('answers 200 to every one of many parallel sign-ins with the right password, and counts none of them', async () => {
      const body = { operation: 'download', objects: [] };
      const client = { client: '203.0.113.70' };
      const farm = await Promise.all(
        Array.from({ length: 50 }, () => batch('acme/private', body, { auth: basic(reader), ...client })),
      );
      expect(farm.map((answer) => answer.status)).toEqual(Array.from({ length: 50 }, () => 200));

      // The whole budget of failures is still there, and a success after them does not give any back.
      const guesses: number[] = [];
      for (let attempt = 0; attempt < 20; attempt += 1) {
        const guess = basic({ ...reader, password: `wrong-${attempt}` });
        guesses.push((await batch('acme/private', body, { auth: guess, ...client })).status);
      }
      expect(guesses).toEqual(Array.from({ length: 20 }, () => 401));
      expect((await batch('acme/private', body, { auth: basic(reader), ...client })).status).toBe(429);
    });

    it('ignores X-Forwarded-For from a client that reaches the API port directly', async () => {
      const body = { operation: 'download', objects: [] };
      const guess = basic({ username: 'spoofer', password: 'guess-guess' });
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 21; attempt += 1) {
        statuses.push(
          (await batch('acme/private', body, { auth: guess, forwardedFor: `192.0.2.${attempt}` })).status,
        );
      }

      expect(statuses).toEqual([...Array.from({ length: 20 }, () => 401), 429]);
    });

    it('answers a fast 429 to sign-ins beyond what the password checks can take, and never a 500', async () => {
      const body = { operation: 'download', objects: [] };
      const flood = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          batch('acme/private', body, {
            auth: basic({ username: `nobody-${i}`, password: 'bogus' }),
            client: `198.51.100.${i}`,
          }),
        ),
      );
      const statuses = flood.map((answer) => answer.status);
      const busy = flood.filter((answer) => answer.status === 429);

      expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
      expect(busy.length).toBeGreaterThan(0);
      expect(busy[0]?.headers.get('retry-after')).toBe('1');
      expect(busy[0]?.body).toMatchObject({ code: 'RATE_LIMITED' });
    });

    it('lets at most the budget of parallel wrong guesses through to a password check', async () => {
      const guesses = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          batch(
            'acme/private',
            { operation: 'download', objects: [] },
            { auth: basic({ username: 'reader', password: `wrong-${i}` }), client: '203.0.113.50' },
          ),
        ),
      );
      const statuses = guesses.map((guess) => guess.status);
      expect(statuses.filter((status) => status === 401)).toHaveLength(20);
      expect(statuses.filter((status) => status === 429)).toHaveLength(20);
    });

    it('never renews a transfer token past its own expiry, and drops it when its user is deleted', async () => {
      await admin.createUser('temp', 'temp-password-1');
      await admin.setMember('acme/private', 'temp', 'write');
      // The token's expiry: bytes 1-4 of its payload (see TransferTokenService).
      const claims = (authorization: string): { e: number } => {
        const token =
          Buffer.from(authorization.replace(/^Basic /, ''), 'base64')
            .toString()
            .split(':')[1] ?? '';
        return {
          e: Buffer.from(token.slice('lfsx_'.length).split('.')[0] ?? '', 'base64url').readUInt32BE(1),
        };
      };
      const uploadHeader = async (auth: string): Promise<string> => {
        const answer = await batch(
          'acme/private',
          { operation: 'upload', objects: [{ oid: oidOf('renew'), size: 1 }] },
          { auth },
        );
        return (answer.body.objects as { actions: { upload: { header: { Authorization: string } } } }[])[0]
          .actions.upload.header.Authorization;
      };
      const first = await uploadHeader(basic({ username: 'temp', password: 'temp-password-1' }));
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const second = await uploadHeader(first);
      expect(claims(second).e).toBeLessThanOrEqual(claims(first).e);

      expect((await admin.call('DELETE', '/users/temp')).status).toBe(204);
      expect(
        (await batch('acme/private', { operation: 'download', objects: [] }, { auth: first })).status,
      ).toBe(401);
    });

    it('accepts an access token in place of the password, but only with its own username', async () => {
      expect(
        (
          await batch(
            'acme/private',
            { operation: 'download', objects: [] },
            { auth: formatBasicAuthorization('writer', writerToken) },
          )
        ).status,
      ).toBe(200);
      expect(
        (
          await batch(
            'acme/private',
            { operation: 'download', objects: [] },
            { auth: formatBasicAuthorization('reader', writerToken) },
          )
        ).status,
      ).toBe(401);
    });

    it('refuses a revoked token and an expired one', async () => {
      const created = await admin.createToken('writer', 'soon-revoked');
      await admin.call('DELETE', `/users/writer/tokens/${String(created.body?.id)}`);
      expect(
        (
          await batch(
            'acme/private',
            { operation: 'download', objects: [] },
            { auth: formatBasicAuthorization('writer', created.body?.token as string) },
          )
        ).status,
      ).toBe(401);

      const expiring = await admin.createToken(
        'writer',
        'expiring',
        new Date(Date.now() + 1500).toISOString(),
      );
      const auth = formatBasicAuthorization('writer', expiring.body?.token as string);
      expect((await batch('acme/private', { operation: 'download', objects: [] }, { auth })).status).toBe(
        200,
      );
      await new Promise((resolve) => setTimeout(resolve, 1600));
      expect((await batch('acme/private', { operation: 'download', objects: [] }, { auth })).status).toBe(
        401,
      );
    });

    it('lets anonymous users download from a public project but not upload to it', async () => {
      expect((await batch('acme/public', { operation: 'download', objects: [] })).status).toBe(200);
      expect((await batch('acme/public', { operation: 'upload', objects: [] })).status).toBe(401);
    });

    it('hides a private project from a signed-in non-member (404) and refuses uploads by readers (403)', async () => {
      expect(
        (await batch('acme/private', { operation: 'download', objects: [] }, { auth: basic(outsider) }))
          .status,
      ).toBe(404);
      const upload = await batch(
        'acme/private',
        { operation: 'upload', objects: [] },
        { auth: basic(reader) },
      );
      expect(upload.status).toBe(403);
      expect(upload.body.message).toContain('write');
    });

    it('answers 404 for an unknown project, 401 when anonymous', async () => {
      expect(
        (await batch('acme/nothing-here', { operation: 'download', objects: [] }, { auth: basic(writer) }))
          .status,
      ).toBe(404);
      expect((await batch('acme/nothing-here', { operation: 'download', objects: [] })).status).toBe(401);
    });
  });

  describe('request validation', () => {
    it('answers 406 to a request that does not accept the Git LFS media type', async () => {
      const result = await batch(
        'acme/private',
        { operation: 'download', objects: [] },
        { auth: basic(writer), accept: 'application/json' },
      );
      expect(result.status).toBe(406);
    });

    it('answers 400 to unparseable JSON', async () => {
      const result = await batch('acme/private', undefined, { auth: basic(writer), raw: '{"operation":' });
      expect(result.status).toBe(400);
      expect(result.headers.get('content-type')).toMatch(/^application\/vnd\.git-lfs\+json/);
    });

    it.each([
      [{ operation: 'delete', objects: [] }],
      [{ operation: 'upload' }],
      [{ operation: 'upload', objects: 'x' }],
      [[]],
    ])('answers 422 to %j', async (body) => {
      expect((await batch('acme/private', body, { auth: basic(writer) })).status).toBe(422);
    });

    it('answers 422 when none of the offered transfer adapters is basic', async () => {
      const result = await batch(
        'acme/private',
        { operation: 'download', objects: [], transfers: ['tus'] },
        { auth: basic(writer) },
      );
      expect(result.status).toBe(422);
      expect(result.body.message).toContain('basic');
    });

    it('answers 409 to an unsupported hash algorithm', async () => {
      const result = await batch(
        'acme/private',
        { operation: 'upload', objects: [], hash_algo: 'sha512' },
        { auth: basic(writer) },
      );
      expect(result.status).toBe(409);
    });

    it('answers 413 to more objects than allowed', async () => {
      const objects = Array.from({ length: 1001 }, (_, i) => ({ oid: oidOf(String(i)), size: 1 }));
      const result = await batch('acme/private', { operation: 'upload', objects }, { auth: basic(writer) });
      expect(result.status).toBe(413);
      expect(result.body.message).toContain('1000');
    });

    it('reports invalid objects one by one inside a 200', async () => {
      const good = oidOf('good');
      const result = await batch(
        'acme/private',
        {
          operation: 'upload',
          objects: [
            { oid: 'ABC', size: 1 },
            { oid: good, size: -1 },
            { oid: good.toUpperCase(), size: 1 },
            { oid: good, size: 2 * 1024 ** 3 },
            { oid: { toString: 1 }, size: 1 },
            { oid: [good], size: { valueOf: 1 } },
            { oid: good, size: '10' },
            { oid: good, size: 10 },
          ],
        },
        { auth: basic(writer) },
      );
      expect(result.status).toBe(200);
      const objects = result.body.objects as { oid: string; error?: { code: number }; actions?: unknown }[];
      expect(objects.map((o) => o.error?.code)).toEqual([422, 422, 422, 422, 422, 422, 422, undefined]);
      // An oid of another type is answered as an empty one: nothing converts a client's object to a string.
      expect(objects.slice(4, 6).map((o) => o.oid)).toEqual(['', '']);
      expect(validateAgainstSchema('http-batch-response-schema.json', result.body)).toEqual([]);
      expect(objects[7]?.actions).toBeDefined();
    });
  });

  describe('answers', () => {
    it('offers upload and verify actions with a transfer credential, valid against the published schema', async () => {
      const oid = oidOf('fresh');
      const result = await batch(
        'acme/private',
        { operation: 'upload', transfers: ['basic'], objects: [{ oid, size: 5 }] },
        { auth: basic(writer) },
      );
      expect(result.status).toBe(200);
      expect(result.headers.get('content-type')).toMatch(/^application\/vnd\.git-lfs\+json/);
      expect(validateAgainstSchema('http-batch-response-schema.json', result.body)).toEqual([]);
      expect(result.body).toMatchObject({
        transfer: 'basic',
        hash_algo: 'sha256',
        objects: [
          {
            oid,
            size: 5,
            authenticated: true,
            actions: {
              upload: {
                href: `${api.config.http.publicUrl}/acme/private.git/info/lfs/objects/${oid}/5`,
                expires_in: expect.any(Number),
              },
              verify: { href: `${api.config.http.publicUrl}/acme/private.git/info/lfs/objects/verify` },
            },
          },
        ],
      });
      // A token minted for an earlier batch of this user and project is reused, its expires_in counting down.
      const upload = (result.body as { objects: { actions: { upload: { expires_in: number } } }[] })
        .objects[0];
      expect(upload?.actions.upload.expires_in).toBeGreaterThan(3590);
      expect(upload?.actions.upload.expires_in).toBeLessThanOrEqual(3600);
      const header = (
        result.body.objects as { actions: { upload: { header: { Authorization: string } } } }[]
      )[0]?.actions.upload.header;
      expect(header?.Authorization).toMatch(/^Basic /);
    });

    it('answers a per-object 404 on download of an object the project does not link, even if another project does', async () => {
      const oid = oidOf('elsewhere');
      const other = await api.app.get(ProjectsRepository, { strict: false }).findProjectByPath('acme/public');
      await TestFactory.forApi(api).linkedObject(other!.id, { oid, size: 3 });

      const result = await batch(
        'acme/private',
        { operation: 'download', objects: [{ oid, size: 3 }] },
        { auth: basic(writer) },
      );
      expect(result.status).toBe(200);
      expect(result.body.objects).toEqual([
        { oid, size: 3, error: { code: 404, message: 'Object does not exist' } },
      ]);
      expect(validateAgainstSchema('http-batch-response-schema.json', result.body)).toEqual([]);

      // And uploading it again is required: knowing the oid grants nothing.
      const upload = await batch(
        'acme/private',
        { operation: 'upload', objects: [{ oid, size: 3 }] },
        { auth: basic(writer) },
      );
      expect((upload.body.objects as { actions?: { upload?: unknown } }[])[0]?.actions?.upload).toBeDefined();
    });

    it('refuses a batch that would exceed the quota with 507 saying how much is used and allowed', async () => {
      const result = await batch(
        'acme/quota',
        {
          operation: 'upload',
          objects: [
            { oid: oidOf('q1'), size: 600 },
            { oid: oidOf('q2'), size: 600 },
          ],
        },
        { auth: basic(writer) },
      );
      expect(result.status).toBe(507);
      expect(result.body.message).toMatch(/1\.17 KiB.*1000 bytes/);
    });

    it('costs the same number of SQL statements for 1, 100 and 1000 objects', async () => {
      const auth = formatBasicAuthorization('writer', writerToken);
      // Warm-up: records the token's last use, a write that then happens at most once a minute.
      await batch('acme/private', { operation: 'download', objects: [] }, { auth });
      const accessCache = api.app.get(AccessCache);
      const counts = { cold: [] as number[], warm: [] as number[] };
      for (const n of [1, 100, 1000]) {
        const objects = Array.from({ length: n }, () => ({
          oid: randomOid(),
          size: 10,
        }));
        const send = () => batch('acme/private', { operation: 'download', objects }, { auth });
        await accessCache.invalidate();
        counts.cold.push(await api.queries.during(send));
        counts.warm.push(await api.queries.during(send));
      }
      // Cold: the token with its user, the project with the caller's role, the linked objects, and (the objects being
      // unknown) which of them were deleted on purpose, for their 410. Warm: the AccessCache remembers the first two.
      expect(counts).toEqual({ cold: [4, 4, 4], warm: [2, 2, 2] });
    });
  });
});
