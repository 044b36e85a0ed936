import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { TEST_ADMIN_TOKEN } from '../helpers/api-harness.js';
import { alice, basic, request, testObject, useTransferStack } from '../helpers/transfer-stack.js';

const BIN = path.join(process.cwd(), 'bin', 'lfs-depot');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

// The built bin/lfs-depot as a shell runs it, against both apps, one describe per command family.
describe('lfs-depot command line against a running server', () => {
  const transfers = useTransferStack([{ path: 'games/engine' }]);
  let elsewhere: string;

  beforeAll(async () => {
    elsewhere = await mkdtemp(path.join(tmpdir(), 'lfs-depot-cli-e2e-'));
  });
  afterAll(async () => {
    await rm(elsewhere, { recursive: true, force: true });
  });

  /** Runs the CLI from a folder without data/, with the stack's URL and admin token unless `env` says otherwise. */
  function cli(
    args: string[],
    { env, stdin = '', cwd = elsewhere }: { env?: Record<string, string>; stdin?: string; cwd?: string } = {},
  ): Promise<CliRun> {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: {
        PATH: process.env['PATH'] ?? '',
        ...(env ?? { LFS_DEPOT_URL: transfers().stack.url, LFS_DEPOT_TOKEN: TEST_ADMIN_TOKEN }),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.end(stdin);
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  async function json<T>(args: string[]): Promise<T> {
    const run = await cli([...args, '--json']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(run.stdout) as T;
  }

  /** The status of a batch request signed in with `password` (a password or an access token). */
  async function signInStatus(username: string, password: string): Promise<number> {
    const answer = await transfers().batch('games/engine', 'download', [], basic(username, password));
    return answer.status;
  }

  describe('users', () => {
    it('creates a user with a password from stdin, who can then sign in, and deletes them', async () => {
      const created = await cli(['users', 'create', 'carol', '--password-stdin'], {
        stdin: 'carol-password-789\n',
      });
      expect(created).toMatchObject({ code: 0, stderr: '' });
      expect(created.stdout).toMatch(/^Created user carol \(id \d+\)\n$/);
      await cli(['members', 'set', 'games/engine', 'carol', 'read']);
      expect(await signInStatus('carol', 'carol-password-789')).toBe(200);

      expect(await cli(['users', 'delete', 'carol'])).toEqual({
        code: 0,
        stdout: 'Deleted user carol\n',
        stderr: '',
      });
      expect(await signInStatus('carol', 'carol-password-789')).toBe(401);
      expect(await cli(['users', 'delete', 'carol'])).toMatchObject({ code: 1, stdout: '' });
    });

    it('lists users by prefix, and changes and removes a password', async () => {
      await cli(['users', 'create', 'dave', '--password', 'dave-password-1']);

      const listed = await json<{ username: string; admin: boolean }[]>(['users', 'list', '--prefix', 'da']);
      const table = await cli(['users', 'list', '--prefix', 'da']);
      expect(listed).toEqual([expect.objectContaining({ username: 'dave', admin: false })]);
      expect(await json(['users', 'show', 'dave'])).toEqual(listed[0]);
      expect(table.stdout).toMatch(/^USERNAME +ID +ADMIN +CREATED\ndave +\d+ +no +\S+\n$/);
      await cli(['members', 'set', 'games/engine', 'dave', 'read']);

      const changed = await cli(['users', 'set-password', 'dave', '--password-stdin'], {
        stdin: 'dave-password-2\n',
      });
      expect(changed).toEqual({ code: 0, stdout: 'Set the password of dave\n', stderr: '' });
      expect(await signInStatus('dave', 'dave-password-1')).toBe(401);
      expect(await signInStatus('dave', 'dave-password-2')).toBe(200);

      expect(await cli(['users', 'set-password', 'dave', '--no-password'])).toMatchObject({ code: 0 });
      expect(await signInStatus('dave', 'dave-password-2')).toBe(401);
    });
  });

  describe('tokens', () => {
    it('creates a token that signs in, lists it, revokes it by id, after which it signs in nothing', async () => {
      const created = await cli(['tokens', 'create', alice.username, 'laptop', '--expires-at', '2099-01-31']);
      expect(created.code).toBe(0);
      const token = created.stdout.trim();
      expect(created.stdout).toBe(`${token}\n`);
      expect(await signInStatus(alice.username, token)).toBe(200);

      const listed = await json<{ id: string; name: string; revoked_at: string | null }[]>([
        'tokens',
        'list',
        alice.username,
      ]);
      const laptop = listed.find((t) => t.name === 'laptop');
      expect(laptop).toMatchObject({ revoked_at: null, expires_at: '2099-01-31T00:00:00.000Z' });
      const table = await cli(['tokens', 'list', alice.username]);
      expect(table.stdout).toMatch(new RegExp(`^${laptop?.id} +laptop +active `, 'm'));

      expect(await cli(['tokens', 'revoke', alice.username, 'laptop'])).toEqual({
        code: 0,
        stdout: `Revoked token ${laptop?.id} of alice\n`,
        stderr: '',
      });
      expect(await signInStatus(alice.username, token)).toBe(401);
      const after = await json<{ name: string; revoked_at: string | null }[]>([
        'tokens',
        'list',
        alice.username,
      ]);
      expect(after.find((t) => t.name === 'laptop')?.revoked_at).toEqual(expect.any(String));
    });

    it('creates a platform token limited to a project, lists it and revokes it', async () => {
      const created = await cli(['tokens', 'create-platform', 'hooks', '--projects', 'games/engine']);
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/^lfsp_\S+\n$/);

      const listed = await json<{ id: string; name: string; projects: string[] | null }[]>([
        'tokens',
        'list-platform',
      ]);
      const hooks = listed.find((t) => t.name === 'hooks');
      expect(hooks?.projects).toEqual(['games/engine']);
      expect(await cli(['tokens', 'revoke-platform', hooks?.id ?? ''])).toEqual({
        code: 0,
        stdout: `Revoked platform token ${hooks?.id}\n`,
        stderr: '',
      });
      const after = await cli(['tokens', 'list-platform']);
      expect(after.stdout).toMatch(new RegExp(`^${hooks?.id} +hooks +revoked `, 'm'));
    });
  });

  describe('projects, members and stats', () => {
    it('creates, shows, updates and deletes a project, with its members and statistics', async () => {
      expect(await cli(['projects', 'create', 'docs/site', '--public', '--quota', '10G'])).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(/^Created project docs\/site\n/),
      });
      expect(await cli(['members', 'set', 'docs/site', alice.username, 'maintainer'])).toEqual({
        code: 0,
        stdout: 'alice now has role maintainer in docs/site\n',
        stderr: '',
      });
      expect(await json(['projects', 'show', 'docs/site'])).toMatchObject({
        path: 'docs/site',
        visibility: 'public',
        quota_bytes: 10737418240,
        members: [{ username: 'alice', role: 'maintainer' }],
      });

      expect(
        await cli(['projects', 'update', 'docs/site', '--no-quota', '--visibility', 'private']),
      ).toMatchObject({ code: 0 });
      expect(await json(['stats', 'docs/site'])).toEqual({
        lfs_objects_count: 0,
        lfs_objects_size: 0,
        quota_bytes: null,
      });
      expect(await cli(['members', 'remove', 'docs/site', alice.username])).toMatchObject({ code: 0 });
      expect(await json(['projects', 'show', 'docs/site'])).toMatchObject({
        visibility: 'private',
        members: [],
      });

      expect(await cli(['projects', 'delete', 'docs/site'])).toMatchObject({ code: 0 });
      expect(await cli(['projects', 'show', 'docs/site'])).toMatchObject({
        code: 1,
        stderr: expect.stringContaining('(HTTP 404)'),
      });
    });
  });

  describe('project, member and lock lists, force-unlock and the audit trail', () => {
    it('lists projects with usage, members, and locks, removes a lock with --force, and shows it audited', async () => {
      const locked = await request(`${transfers().stack.url}/games/engine.git/info/lfs/locks`, {
        method: 'POST',
        headers: {
          accept: 'application/vnd.git-lfs+json',
          'content-type': 'application/vnd.git-lfs+json',
          authorization: basic(alice.username, alice.password),
        },
        body: JSON.stringify({ path: 'art/hero.psd' }),
      });
      expect(locked.status).toBe(201);
      const lockId = (JSON.parse(locked.body) as { lock: { id: string } }).lock.id;

      const projects = await json<{ path: string }[]>(['projects', 'list', '--prefix', 'games/']);
      expect(projects.map((p) => p.path)).toEqual(['games/engine']);
      expect(projects[0]).toMatchObject({ lfs_objects_count: 0, lfs_objects_size: 0, quota_bytes: null });
      expect((await cli(['projects', 'list', '--prefix', 'games/'])).stdout).toMatch(
        /^games\/engine +private +0 +0 bytes +none +-$/m,
      );

      expect(await json(['members', 'list', 'games/engine', '--role', 'write'])).toEqual([
        { username: 'alice', role: 'write' },
      ]);

      expect(await json(['locks', 'list', 'games/engine'])).toEqual([
        expect.objectContaining({ id: lockId, path: 'art/hero.psd', owner: { name: 'alice' } }),
      ]);
      expect(await cli(['locks', 'unlock', 'games/engine', lockId])).toMatchObject({ code: 2 });
      expect(await cli(['locks', 'unlock', 'games/engine', lockId, '--force'])).toEqual({
        code: 0,
        stdout: `Unlocked art/hero.psd in games/engine (lock ${lockId}, held by alice)\n`,
        stderr: '',
      });
      expect(await json(['locks', 'list', 'games/engine'])).toEqual([]);

      const events = await json<{ action: string; target: { name: string }; actor: { name: string } }[]>([
        'audit',
        '--project',
        'games/engine',
        '--action',
        'lock.force_unlock',
      ]);
      expect(events).toEqual([
        expect.objectContaining({
          action: 'lock.force_unlock',
          actor: expect.objectContaining({ name: 'admin' }),
        }),
      ]);
      const latest = await cli(['audit', '--limit', '1']);
      expect(latest.stdout).toMatch(
        /^TIME +ACTOR +ACTION +TARGET +PROJECT +FROM +REQUEST +DETAILS\n\S+ +admin \(admin_token\) +lock\.force_unlock /,
      );
    });
  });

  describe('objects', () => {
    it("lists a project's objects, all of them or --limit, as a table and as JSON", async () => {
      const objects = [testObject(10), testObject(20), testObject(30)];
      for (const object of objects) {
        await transfers().upload('games/engine', object);
      }
      const expected = objects
        .map(({ oid, size }) => ({ oid, size }))
        .sort((a, b) => a.oid.localeCompare(b.oid));

      const all = await json<{ oid: string; size: number }[]>(['objects', 'list', 'games/engine']);
      const limited = await json<{ oid: string }[]>(['objects', 'list', 'games/engine', '--limit', '2']);
      const table = await cli(['objects', 'list', 'games/engine']);

      expect(all.map(({ oid, size }) => ({ oid, size }))).toEqual(expected);
      expect(limited.map((o) => o.oid)).toEqual(expected.slice(0, 2).map((o) => o.oid));
      expect(table.stdout.split('\n')[0]).toMatch(/^OID +SIZE +LINKED$/);
      expect(table.stdout).toContain(`${objects[0]?.oid}  10 bytes  `);
    });
  });

  describe('finding the admin token', () => {
    it('reads it from --data-dir or DATA_DIR from another folder, and names a refused file', async () => {
      const dataDir = path.join(elsewhere, 'server-data');
      await mkdir(dataDir);
      await writeFile(path.join(dataDir, 'admin-token'), `${TEST_ADMIN_TOKEN}\n`, { mode: 0o600 });
      const url = { LFS_DEPOT_URL: transfers().stack.url };

      expect(await cli(['stats', 'games/engine', '--data-dir', dataDir], { env: url })).toMatchObject({
        code: 0,
      });
      expect(await cli(['stats', 'games/engine'], { env: { ...url, DATA_DIR: dataDir } })).toMatchObject({
        code: 0,
      });

      await writeFile(path.join(dataDir, 'admin-token'), 'not-the-admin-token-at-all\n');
      const refused = await cli(['--data-dir', dataDir, 'stats', 'games/engine'], { env: url });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `the admin token (from ${path.join(dataDir, 'admin-token')}) was refused`,
      );
    });
  });
});
