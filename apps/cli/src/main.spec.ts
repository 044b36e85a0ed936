import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';

import { captureIo } from '../test/captured-io.js';
import { closedPortUrl, FakeAdminServer } from '../test/fake-admin.server.js';
import { defineCommand } from './command.js';
import { main } from './main.js';

const TOKEN = 'admin-secret';
const PROJECT = {
  id: 7,
  path: 'group/sub/name',
  visibility: 'private',
  quota_bytes: null,
  created_at: '2025-01-02T03:04:05.000Z',
};

describe(main.name, () => {
  let server: FakeAdminServer;
  let emptyDir: string;

  beforeAll(async () => {
    server = await FakeAdminServer.start();
    // A cwd without data/admin-token, so no test picks up a token file by accident.
    emptyDir = mkdtempSync(join(tmpdir(), 'lfs-depot-cli-'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(emptyDir, { recursive: true, force: true });
  });
  beforeEach(() => server.reset());

  async function run(
    argv: string[],
    opts: { env?: Record<string, string>; stdin?: string; cwd?: string } = {},
  ) {
    const captured = captureIo(opts.stdin);
    const env = opts.env ?? { LFS_DEPOT_URL: server.url, LFS_DEPOT_TOKEN: TOKEN };
    const code = await main(argv, env, captured.io, { cwd: opts.cwd ?? emptyDir });
    return { code, stdout: captured.stdout(), stderr: captured.stderr() };
  }

  describe('users create', () => {
    it('posts the username with the bearer token and reports the new user', async () => {
      server.reply('POST', '/api/v1/users', {
        status: 201,
        body: { id: 1, username: 'alice', admin: false, created_at: '2025-01-01T00:00:00Z' },
      });

      const result = await run(['users', 'create', 'alice']);

      expect(result).toEqual({ code: 0, stdout: 'Created user alice (id 1)\n', stderr: '' });
      expect(server.requests).toEqual([
        {
          method: 'POST',
          url: '/api/v1/users',
          authorization: `Bearer ${TOKEN}`,
          contentType: 'application/json',
          body: { username: 'alice' },
        },
      ]);
    });

    it('reads the password from stdin without its trailing newline and sends admin', async () => {
      server.reply('POST', '/api/v1/users', {
        status: 201,
        body: { id: 2, username: 'root', admin: true, created_at: '2025-01-01T00:00:00Z' },
      });

      const result = await run(['users', 'create', 'root', '--password-stdin', '--admin'], {
        stdin: 'p4ss word\n',
      });

      expect(result).toEqual({ code: 0, stdout: 'Created admin user root (id 2)\n', stderr: '' });
      expect(server.requests[0]?.body).toEqual({ username: 'root', password: 'p4ss word', admin: true });
    });

    it('sends --password as given', async () => {
      server.reply('POST', '/api/v1/users', {
        status: 201,
        body: { id: 3, username: 'bob', admin: false, created_at: '2025-01-01T00:00:00Z' },
      });

      expect((await run(['users', 'create', 'bob', '--password', 'hunter2'])).code).toBe(0);
      expect(server.requests[0]?.body).toEqual({ username: 'bob', password: 'hunter2' });
    });

    it('rejects --password together with --password-stdin before calling the server', async () => {
      const result = await run(['users', 'create', 'bob', '--password', 'x', '--password-stdin'], {
        stdin: 'y\n',
      });

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('lfs-depot: give either --password or --password-stdin, not both\n');
      expect(result.stderr).toContain('usage: lfs-depot users create <username>');
      expect(server.requests).toEqual([]);
    });

    it('rejects an empty stdin for --password-stdin', async () => {
      const result = await run(['users', 'create', 'bob', '--password-stdin']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('lfs-depot: --password-stdin: standard input was empty\n');
      expect(server.requests).toEqual([]);
    });
  });

  describe('tokens create', () => {
    const created = {
      id: 9,
      name: 'deploy',
      token: 'lfsd_0123456789abcdef',
      expires_at: '2030-01-31T00:00:00.000Z',
    };

    it('prints the token alone so that $(…) captures exactly it', async () => {
      server.reply('POST', '/api/v1/users/ci-bot/tokens', { status: 201, body: created });

      const result = await run(['tokens', 'create', 'ci-bot', 'deploy', '--expires-at', '2030-01-31']);

      expect(result).toEqual({ code: 0, stdout: 'lfsd_0123456789abcdef\n', stderr: '' });
      expect(server.requests[0]?.body).toEqual({ name: 'deploy', expires_at: '2030-01-31T00:00:00.000Z' });
    });

    it('prints the whole answer with --json', async () => {
      server.reply('POST', '/api/v1/users/ci-bot/tokens', { status: 201, body: created });

      const result = await run(['tokens', 'create', 'ci-bot', 'deploy', '--json']);

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(created);
      expect(server.requests[0]?.body).toEqual({ name: 'deploy' });
    });

    it('encodes the username as one path segment', async () => {
      server.reply('POST', '/api/v1/users/a%2Fb%20c/tokens', { status: 201, body: created });

      expect((await run(['tokens', 'create', 'a/b c', 'deploy'])).code).toBe(0);
      expect(server.requests[0]?.url).toBe('/api/v1/users/a%2Fb%20c/tokens');
    });

    it('rejects an unparseable --expires-at', async () => {
      const result = await run(['tokens', 'create', 'ci-bot', 'deploy', '--expires-at', 'next tuesday']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain("lfs-depot: --expires-at: 'next tuesday' is not an ISO 8601 date\n");
      expect(server.requests).toEqual([]);
    });

    it('rejects a missing <name>', async () => {
      const result = await run(['tokens', 'create', 'ci-bot']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('lfs-depot: missing <name>\n');
    });
  });

  describe('projects', () => {
    it('creates a nested project with visibility and a suffixed quota', async () => {
      server.reply('POST', '/api/v1/projects', {
        status: 201,
        body: { ...PROJECT, visibility: 'public', quota_bytes: 10737418240 },
      });

      const result = await run(['projects', 'create', 'group/sub/name', '--public', '--quota', '10G']);

      expect(result.code).toBe(0);
      expect(server.requests[0]).toMatchObject({
        method: 'POST',
        url: '/api/v1/projects',
        body: { path: 'group/sub/name', visibility: 'public', quota_bytes: 10737418240 },
      });
      expect(result.stdout).toBe(
        [
          'Created project group/sub/name',
          '  path        group/sub/name',
          '  id          7',
          '  visibility  public',
          '  quota       10 GiB (10737418240 bytes)',
          '  created     2025-01-02T03:04:05.000Z',
          '',
        ].join('\n'),
      );
    });

    it('sends only the path when no option is given', async () => {
      server.reply('POST', '/api/v1/projects', { status: 201, body: PROJECT });

      expect((await run(['projects', 'create', 'solo'])).code).toBe(0);
      expect(server.requests[0]?.body).toEqual({ path: 'solo' });
    });

    it('rejects conflicting visibility flags', async () => {
      const result = await run(['projects', 'create', 'x', '--public', '--visibility', 'private']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('lfs-depot: conflicting visibility: public and private\n');
      expect(server.requests).toEqual([]);
    });

    it('rejects an unknown visibility and a malformed quota', async () => {
      const visibility = await run(['projects', 'create', 'x', '--visibility', 'internal']);
      const quota = await run(['projects', 'create', 'x', '--quota', '10X']);

      expect(visibility.code).toBe(2);
      expect(visibility.stderr).toContain("--visibility must be private or public, not 'internal'");
      expect(quota.code).toBe(2);
      expect(quota.stderr).toContain("lfs-depot: --quota: '10X' is not a size");
      expect(server.requests).toEqual([]);
    });

    it('shows a project with its members, addressing it as one encoded segment', async () => {
      server.reply('GET', '/api/v1/projects/group%2Fsub%2Fname', {
        status: 200,
        body: {
          ...PROJECT,
          members: [
            { username: 'alice', role: 'write' },
            { username: 'bob', role: 'maintainer' },
          ],
        },
      });

      const result = await run(['projects', 'show', 'group/sub/name']);

      expect(result).toEqual({
        code: 0,
        stdout: [
          'path        group/sub/name',
          'id          7',
          'visibility  private',
          'quota       none',
          'created     2025-01-02T03:04:05.000Z',
          'members     alice (write), bob (maintainer)',
          '',
        ].join('\n'),
        stderr: '',
      });
      expect(server.requests[0]).toMatchObject({
        method: 'GET',
        authorization: `Bearer ${TOKEN}`,
        body: undefined,
      });
    });

    it('prints the raw project with --json', async () => {
      server.reply('GET', '/api/v1/projects/group%2Fsub%2Fname', { status: 200, body: PROJECT });

      const result = await run(['projects', 'show', 'group/sub/name', '--json']);

      expect(JSON.parse(result.stdout)).toEqual(PROJECT);
    });

    it('removes the quota with --no-quota', async () => {
      server.reply('PATCH', '/api/v1/projects/group%2Fsub%2Fname', { status: 200, body: PROJECT });

      const result = await run(['projects', 'update', 'group/sub/name', '--no-quota']);

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Updated project group\/sub\/name\n/);
      expect(server.requests[0]).toMatchObject({ method: 'PATCH', body: { quota_bytes: null } });
    });

    it('updates visibility and quota together', async () => {
      server.reply('PATCH', '/api/v1/projects/g%2Fn', { status: 200, body: PROJECT });

      expect(
        (await run(['projects', 'update', 'g/n', '--visibility', 'private', '--quota', '500M'])).code,
      ).toBe(0);
      expect(server.requests[0]?.body).toEqual({ visibility: 'private', quota_bytes: 524288000 });
    });

    it('rejects an update with nothing to change, or with --quota and --no-quota', async () => {
      const nothing = await run(['projects', 'update', 'g/n']);
      const both = await run(['projects', 'update', 'g/n', '--quota', '1G', '--no-quota']);

      expect(nothing.code).toBe(2);
      expect(nothing.stderr).toContain('lfs-depot: nothing to update');
      expect(both.code).toBe(2);
      expect(both.stderr).toContain('lfs-depot: give either --quota or --no-quota, not both');
      expect(server.requests).toEqual([]);
    });

    it('deletes a project and prints nothing with --json', async () => {
      server.reply('DELETE', '/api/v1/projects/group%2Fsub%2Fname', { status: 204 });

      const human = await run(['projects', 'delete', 'group/sub/name']);
      const json = await run(['projects', 'delete', 'group/sub/name', '--json']);

      expect(human).toEqual({ code: 0, stdout: 'Deleted project group/sub/name\n', stderr: '' });
      expect(json).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        'DELETE /api/v1/projects/group%2Fsub%2Fname',
        'DELETE /api/v1/projects/group%2Fsub%2Fname',
      ]);
    });
  });

  describe('members', () => {
    it('puts the role of a member', async () => {
      server.reply('PUT', '/api/v1/projects/group%2Fname/members/alice', {
        status: 200,
        body: { project: 'group/name', username: 'alice', role: 'write' },
      });

      const result = await run(['members', 'set', 'group/name', 'alice', 'write']);

      expect(result).toEqual({ code: 0, stdout: 'alice now has role write in group/name\n', stderr: '' });
      expect(server.requests[0]).toMatchObject({ method: 'PUT', body: { role: 'write' } });
    });

    it('rejects an unknown role', async () => {
      const result = await run(['members', 'set', 'group/name', 'alice', 'owner']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain("lfs-depot: role must be read, write or maintainer, not 'owner'\n");
      expect(server.requests).toEqual([]);
    });

    it('removes a member', async () => {
      server.reply('DELETE', '/api/v1/projects/group%2Fname/members/alice', { status: 204 });

      const result = await run(['members', 'remove', 'group/name', 'alice']);

      expect(result).toEqual({ code: 0, stdout: 'Removed alice from group/name\n', stderr: '' });
      expect(server.requests[0]).toMatchObject({ method: 'DELETE', body: undefined });
    });
  });

  describe('stats', () => {
    it('prints count, size and quota use for people', async () => {
      server.reply('GET', '/api/v1/projects/group%2Fname/statistics', {
        status: 200,
        body: { lfs_objects_count: 12, lfs_objects_size: 1610612736, quota_bytes: 10737418240 },
      });

      const result = await run(['stats', 'group/name']);

      expect(result).toEqual({
        code: 0,
        stdout: [
          'project  group/name',
          'objects  12',
          'size     1.5 GiB (1610612736 bytes)',
          'quota    10 GiB (10737418240 bytes), 15.0% used',
          '',
        ].join('\n'),
        stderr: '',
      });
    });

    it('says none when there is no quota', async () => {
      server.reply('GET', '/api/v1/projects/p/statistics', {
        status: 200,
        body: { lfs_objects_count: 0, lfs_objects_size: 0, quota_bytes: null },
      });

      const result = await run(['stats', 'p']);

      expect(result.stdout).toBe('project  p\nobjects  0\nsize     0 bytes\nquota    none\n');
    });

    it('prints the raw statistics with --json, also given before the command', async () => {
      const body = { lfs_objects_count: 1, lfs_objects_size: 5, quota_bytes: null };
      server.reply('GET', '/api/v1/projects/p/statistics', { status: 200, body });

      const result = await run(['--json', 'stats', 'p']);

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(body);
    });
  });

  describe('errors', () => {
    it("prints the server's message and status and exits 1 on a 4xx", async () => {
      server.reply('GET', '/api/v1/projects/nope/statistics', {
        status: 404,
        body: { message: 'project not found', request_id: 'req-1', code: 'PROJECT_NOT_FOUND' },
      });

      const result = await run(['stats', 'nope']);

      expect(result).toEqual({ code: 1, stdout: '', stderr: 'lfs-depot: project not found (HTTP 404)\n' });
    });

    it('adds a hint about the token on 401', async () => {
      server.reply('POST', '/api/v1/users', {
        status: 401,
        body: { message: 'bad credentials', request_id: 'r' },
      });

      const result = await run(['users', 'create', 'alice']);

      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        'lfs-depot: bad credentials (HTTP 401)\n' +
          'lfs-depot: the admin token was refused; check LFS_DEPOT_TOKEN or --token\n',
      );
    });

    it('explains a refused connection', async () => {
      const url = await closedPortUrl();

      const result = await run(['stats', 'p'], { env: { LFS_DEPOT_URL: url, LFS_DEPOT_TOKEN: TOKEN } });

      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `lfs-depot: cannot reach ${url} (connect ECONNREFUSED ${url.replace('http://', '')}); ` +
          'is the server running? Set LFS_DEPOT_URL.\n',
      );
    });

    it('asks for a token when none is configured, without calling the server', async () => {
      const result = await run(['stats', 'p'], { env: { LFS_DEPOT_URL: server.url } });

      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'lfs-depot: LFS_DEPOT_TOKEN is not set (the server printed where its admin token is, usually data/admin-token)\n',
      });
      expect(server.requests).toEqual([]);
    });
  });

  describe('configuration', () => {
    let cwd: string;
    beforeEach(() => {
      cwd = mkdtempSync(join(tmpdir(), 'lfs-depot-cli-cwd-'));
    });
    afterEach(() => rmSync(cwd, { recursive: true, force: true }));

    it('reads the token from ./data/admin-token relative to the working directory', async () => {
      mkdirSync(join(cwd, 'data'));
      writeFileSync(join(cwd, 'data', 'admin-token'), 'from-file\n', { mode: 0o600 });
      server.reply('GET', '/api/v1/projects/p', { status: 200, body: PROJECT });

      const result = await run(['projects', 'show', 'p'], { env: { LFS_DEPOT_URL: server.url }, cwd });

      expect(result.code).toBe(0);
      expect(server.requests[0]?.authorization).toBe('Bearer from-file');
    });

    it('lets --url and --token override the environment, before or after the command', async () => {
      server.reply('GET', '/api/v1/projects/p', { status: 200, body: PROJECT });
      const env = { LFS_DEPOT_URL: 'http://127.0.0.1:1', LFS_DEPOT_TOKEN: 'from-env' };

      const after = await run(['projects', 'show', 'p', '--url', server.url, '--token', 'from-flag'], {
        env,
      });
      const before = await run(['--url', server.url, '--token=from-global', 'projects', 'show', 'p'], {
        env,
      });

      expect([after.code, before.code]).toEqual([0, 0]);
      expect(server.requests.map((r) => r.authorization)).toEqual(['Bearer from-flag', 'Bearer from-global']);
    });

    it('rejects a URL that is not http or https', async () => {
      const result = await run(['stats', 'p', '--url', 'ftp://example.com', '--token', 't']);

      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        "lfs-depot: invalid server URL 'ftp://example.com' (from --url): only http and https are supported\n",
      );
    });
  });

  describe('help and usage', () => {
    const leaves = [
      'users create',
      'tokens create',
      'projects create',
      'projects show',
      'projects update',
      'projects delete',
      'members set',
      'members remove',
      'stats',
    ];

    it('lists every command on --help and on help, exit 0', async () => {
      const flag = await run(['--help']);
      const word = await run(['help']);

      expect(flag.code).toBe(0);
      expect(flag.stderr).toBe('');
      for (const leaf of leaves) {
        expect(flag.stdout).toMatch(new RegExp(`^  ${leaf}  `, 'm'));
      }
      expect(word).toEqual(flag);
    });

    it.each(leaves)('prints the usage of %s on --help', async (leaf) => {
      const result = await run([...leaf.split(' '), '--help']);

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^usage: lfs-depot ${leaf} `));
      expect(result.stdout).toContain('--json');
      expect(result.stdout).toContain('--token <token>');
    });

    it('documents the quota suffixes on projects create --help', async () => {
      const result = await run(['help', 'projects', 'create']);

      expect(result.code).toBe(0);
      expect(result.stdout).toContain('--quota <size>');
      expect(result.stdout).toContain('K, M, G or T (powers of 1024)');
    });

    it('prints help even when other arguments are wrong', async () => {
      const result = await run(['projects', 'create', '--bogus', '--help']);

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^usage: lfs-depot projects create/);
    });

    it('lists the subcommands of a group', async () => {
      const result = await run(['projects', '--help']);

      expect(result.code).toBe(0);
      expect(result.stdout).toContain('  projects update  ');
    });

    it.each([
      [[], 'missing command'],
      [['frobnicate'], "unknown command 'frobnicate'"],
      [['help', 'frobnicate'], "unknown command 'frobnicate'"],
      [['--verbose', 'stats'], "unknown option '--verbose'"],
      [['projects'], "'projects' needs a command"],
      [['projects', 'rename', 'a'], "unknown command 'projects rename'"],
      [['stats'], 'missing <project>'],
      [['stats', 'a', 'b'], "unexpected argument 'b'"],
      [['stats', 'a', '--frob'], "unknown option '--frob'"],
      [['stats', 'a', '--url'], "option '--url <value>' argument missing"],
    ])('exits 2 with a usage message for %j', async (argv, message) => {
      const result = await run(argv);

      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(new RegExp(`^lfs-depot: ${escapeRegExp(message)}\nusage: lfs-depot `));
      expect(result.stderr).toMatch(/Run 'lfs-depot .*--help' for more\.\n$/);
      expect(server.requests).toEqual([]);
    });
  });

  describe('command table', () => {
    it('runs a command added to the table, with the context main built', async () => {
      const hello = defineCommand({
        name: 'hello',
        summary: 'say hello',
        usage: 'lfs-depot hello <name>',
        description: 'Greets.',
        positionals: ['name'],
        options: { loud: { type: 'boolean', help: 'shout' } },
        run({ args, values, ctx }) {
          ctx.io.stdout.write(
            `hello ${values.loud === true ? args.name.toUpperCase() : args.name} from ${ctx.cwd}\n`,
          );
          return Promise.resolve(3);
        },
      });
      const captured = captureIo();

      const code = await main(['hello', 'you', '--loud'], {}, captured.io, {
        cwd: '/somewhere',
        commands: [hello],
      });
      const help = captureIo();
      await main(['--help'], {}, help.io, { commands: [hello] });

      expect(code).toBe(3);
      expect(captured.stdout()).toBe('hello YOU from /somewhere\n');
      expect(help.stdout()).toMatch(/^ {2}hello {2,}say hello$/m);
    });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
