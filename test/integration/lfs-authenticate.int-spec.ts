import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { oidOf } from '@lfs-depot/testing';

import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, startApiHarness } from '../helpers/api-harness.js';

const LFS = 'application/vnd.git-lfs+json';
const PUBLIC_URL = 'https://lfs.example.com';

describe('lfs-authenticate API', () => {
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;

  const authenticate = (project: string, body: unknown) =>
    admin.call('POST', `/projects/${encodeURIComponent(project)}/lfs-authenticate`, body);

  async function credentialFor(project: string, username: string, operation: string): Promise<string> {
    const result = await authenticate(project, { username, operation });
    expect(result.status).toBe(200);
    return (result.body?.header as { Authorization: string }).Authorization;
  }

  async function batch(project: string, authorization: string, operation: 'upload' | 'download') {
    const response = await fetch(`${api.url}/${project}.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: { accept: LFS, 'content-type': LFS, authorization },
      body: JSON.stringify({ operation, objects: [{ oid: oidOf('x'), size: 1 }] }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    api = await startApiHarness({ PUBLIC_URL, ACTION_TTL_SECONDS: '600' });
    admin = adminClient(api.url);
    for (const username of ['writer', 'reader', 'outsider']) {
      await admin.createUser(username);
    }
    await admin.createUser('root', undefined, true);
    for (const project of ['games/engine', 'games/other']) {
      await admin.createProject(project);
      await admin.setMember(project, 'writer', 'write');
    }
    await admin.setMember('games/engine', 'reader', 'read');
    await admin.createProject('docs/public', 'public');
  });

  afterAll(async () => {
    await api.close();
  });

  it("answers the project's LFS endpoint and a short-lived Basic credential", async () => {
    const before = Date.now();
    const result = await authenticate('games/engine', { username: 'writer', operation: 'upload' });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      href: `${PUBLIC_URL}/games/engine.git/info/lfs`,
      header: { Authorization: expect.stringMatching(/^Basic [A-Za-z0-9+/=]+$/) },
      expires_in: 600,
      expires_at: expect.any(String),
    });
    const expiresAt = Date.parse(result.body?.expires_at as string);
    expect(expiresAt).toBeGreaterThanOrEqual(before - 1000 + 600_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);
    const header = (result.body?.header as { Authorization: string }).Authorization;
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
    expect(decoded.startsWith('writer:')).toBe(true);
  });

  it('gives an upload credential that uploads to that project and nowhere else', async () => {
    const credential = await credentialFor('games/engine', 'writer', 'upload');
    const upload = await batch('games/engine', credential, 'upload');
    expect(upload.status).toBe(200);
    expect((upload.body.objects as { actions?: { upload?: unknown } }[])[0]?.actions?.upload).toBeDefined();
    // The writer may upload to games/other with a password, but not with this credential.
    expect((await batch('games/other', credential, 'upload')).status).toBe(404);
    expect((await batch('games/other', credential, 'download')).status).toBe(404);
  });

  it('caps a download credential at read, whatever the user may do', async () => {
    const credential = await credentialFor('games/engine', 'writer', 'download');
    expect((await batch('games/engine', credential, 'download')).status).toBe(200);
    const upload = await batch('games/engine', credential, 'upload');
    expect(upload.status).toBe(403);
    const admins = await credentialFor('games/engine', 'root', 'download');
    expect((await batch('games/engine', admins, 'upload')).status).toBe(403);
  });

  it('lets an admin user have either operation on any project', async () => {
    const credential = await credentialFor('games/other', 'root', 'upload');
    expect((await batch('games/other', credential, 'upload')).status).toBe(200);
  });

  it('answers 403 to a reader asking to upload and 404 to a non-member of a private project', async () => {
    const reader = await authenticate('games/engine', { username: 'reader', operation: 'upload' });
    expect(reader.status).toBe(403);
    expect(reader.body).toMatchObject({ code: 'FORBIDDEN' });
    expect((await authenticate('games/engine', { username: 'reader', operation: 'download' })).status).toBe(
      200,
    );
    const outsider = await authenticate('games/engine', { username: 'outsider', operation: 'download' });
    expect(outsider.status).toBe(404);
    expect(outsider.body).toMatchObject({ code: 'PROJECT_NOT_FOUND' });
  });

  it('lets anyone download from a public project, but not upload', async () => {
    expect((await authenticate('docs/public', { username: 'outsider', operation: 'download' })).status).toBe(
      200,
    );
    expect((await authenticate('docs/public', { username: 'outsider', operation: 'upload' })).status).toBe(
      403,
    );
  });

  it('answers 404 for an unknown project or user', async () => {
    const project = await authenticate('games/nothing', { username: 'writer', operation: 'download' });
    expect(project.status).toBe(404);
    expect(project.body).toMatchObject({ code: 'PROJECT_NOT_FOUND' });
    const user = await authenticate('games/engine', { username: 'ghost', operation: 'download' });
    expect(user.status).toBe(404);
    expect(user.body).toMatchObject({ code: 'USER_NOT_FOUND' });
  });

  it.each([
    [{ username: 'writer', operation: 'delete' }],
    [{ username: 'writer' }],
    [{ operation: 'upload' }],
    [{ username: '', operation: 'upload' }],
    [{ username: 'writer', operation: 'upload', extra: true }],
  ])('answers 422 to %j', async (body) => {
    const result = await authenticate('games/engine', body);
    expect(result.status).toBe(422);
    expect(result.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('answers 401 without an admin token', async () => {
    const writerToken = (await admin.createToken('writer')).body?.token as string;
    const result = await adminClient(api.url, writerToken).call(
      'POST',
      `/projects/${encodeURIComponent('games/engine')}/lfs-authenticate`,
      { username: 'writer', operation: 'upload' },
    );
    expect(result.status).toBe(401);
  });
});
