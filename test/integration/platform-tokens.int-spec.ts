import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LFS_MEDIA_TYPE } from '@lfs-depot/contracts';

import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, startApiHarness } from '../helpers/api-harness.js';

const path = (project: string): string => encodeURIComponent(project);

// What a git host holds (in a hook file, in its SSH server) must not make whoever reads it lfs-depot admin.
describe('platform tokens', () => {
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;

  async function platformToken(body: Record<string, unknown>): Promise<string> {
    const created = await admin.call('POST', '/platform-tokens', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: body.name, token: expect.stringMatching(/^lfsp_/) });
    return created.body?.token as string;
  }

  beforeAll(async () => {
    api = await startApiHarness();
    admin = adminClient(api.url);
    await admin.createUser('writer');
    for (const project of ['games/engine', 'games/other']) {
      await admin.createProject(project);
      await admin.setMember(project, 'writer', 'write');
    }
  });

  afterAll(async () => {
    await api.close();
  });

  it('may call push-check and lfs-authenticate', async () => {
    const platform = adminClient(api.url, await platformToken({ name: 'hooks' }));
    const check = await platform.call('POST', `/projects/${path('games/engine')}/push-check`, {
      username: 'writer',
      changes: [],
    });
    expect(check.status).toBe(200);
    const authenticate = await platform.call('POST', `/projects/${path('games/other')}/lfs-authenticate`, {
      username: 'writer',
      operation: 'upload',
    });
    expect(authenticate.status).toBe(200);
    expect(authenticate.body).toMatchObject({ header: { Authorization: expect.stringMatching(/^Basic /) } });
  });

  it.each([
    ['GET', '/users/writer'],
    ['POST', '/users'],
    ['GET', '/users/writer/tokens'],
    ['POST', '/users/writer/tokens'],
    ['POST', '/projects'],
    ['GET', `/projects/${path('games/engine')}`],
    ['PUT', `/projects/${path('games/engine')}/members/writer`],
    ['GET', `/projects/${path('games/engine')}/statistics`],
    ['GET', '/platform-tokens'],
    ['POST', '/platform-tokens'],
  ])('is refused with 403 on %s %s', async (method, route) => {
    const platform = adminClient(api.url, await platformToken({ name: `refused-${method}-${route}` }));
    const body = method === 'GET' ? undefined : { name: 'x', username: 'x', path: 'x/y', role: 'read' };
    const answer = await platform.call(method, route, body);
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('limited to a set of projects, is refused (403) for any other', async () => {
    const platform = adminClient(
      api.url,
      await platformToken({ name: 'engine-only', projects: ['games/engine'] }),
    );
    const body = { username: 'writer', operation: 'download' };
    expect(
      (await platform.call('POST', `/projects/${path('games/engine')}/lfs-authenticate`, body)).status,
    ).toBe(200);
    const other = await platform.call('POST', `/projects/${path('games/other')}/lfs-authenticate`, body);
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ code: 'FORBIDDEN' });
    const check = await platform.call('POST', `/projects/${path('games/other')}/push-check`, {
      username: 'writer',
      changes: [],
    });
    expect(check.status).toBe(403);
  });

  it('is stored as a hash, listed without the token, and refused (401) once revoked', async () => {
    const token = await platformToken({ name: 'revoked' });
    const platform = adminClient(api.url, token);
    const route = `/projects/${path('games/engine')}/push-check`;
    expect((await platform.call('POST', route, { username: 'writer', changes: [] })).status).toBe(200);
    const listed = (await admin.call('GET', '/platform-tokens')).body?.platform_tokens as Record<
      string,
      unknown
    >[];
    const entry = listed.find((t) => t.name === 'revoked');
    expect(entry).toMatchObject({ projects: null, revoked_at: null });
    expect(JSON.stringify(listed)).not.toContain(token);
    const stored = await api.dataSource.query<{ token_hash: string }[]>(
      `SELECT token_hash FROM platform_tokens WHERE name = 'revoked'`,
    );
    expect(stored[0]?.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect((await admin.call('DELETE', `/platform-tokens/${String(entry?.id)}`)).status).toBe(204);
    expect((await platform.call('POST', route, { username: 'writer', changes: [] })).status).toBe(401);
  });

  it('once revoked, also ends the credentials its lfs-authenticate handed out, and those minted from them', async () => {
    const created = (await admin.call('POST', '/platform-tokens', { name: 'ssh-server' })).body;
    const platform = adminClient(api.url, created?.token as string);
    const printed = await platform.call('POST', `/projects/${path('games/engine')}/lfs-authenticate`, {
      username: 'writer',
      operation: 'upload',
    });
    const authorization = (printed.body?.header as { Authorization: string }).Authorization;
    const upload = await batch('games/engine', authorization);
    expect(upload.status).toBe(200);
    // The batch's own actions carry a transfer token minted from the printed one: a chain back to the platform token.
    const actionAuthorization = upload.objects[0]?.actions?.upload?.header?.Authorization ?? '';
    expect((await batch('games/engine', actionAuthorization)).status).toBe(200);

    expect((await admin.call('DELETE', `/platform-tokens/${String(created?.id)}`)).status).toBe(204);

    expect((await batch('games/engine', authorization)).status).toBe(401);
    expect((await batch('games/engine', actionAuthorization)).status).toBe(401);
  });

  /** An upload batch for one object into `project` with this Authorization header. */
  async function batch(
    project: string,
    authorization: string,
  ): Promise<{
    status: number;
    objects: { actions?: { upload?: { header?: Record<string, string> } } }[];
  }> {
    const answer = await fetch(`${api.url}/${project}.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: { accept: LFS_MEDIA_TYPE, 'content-type': LFS_MEDIA_TYPE, authorization },
      body: JSON.stringify({ operation: 'upload', objects: [{ oid: 'd'.repeat(64), size: 5 }] }),
    });
    const body = (await answer.json()) as { objects?: [] };
    return { status: answer.status, objects: body.objects ?? [] };
  }
});
