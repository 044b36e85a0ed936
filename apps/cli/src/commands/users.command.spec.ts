import { describe, expect, it } from '@jest/globals';

import { TOKEN, useCliHarness } from '../../test/cli-harness.js';
import { main } from '../main.js';

// lfs-depot run through main() against a fake admin API, as the shell runs it.
describe(main.name, () => {
  const cli = useCliHarness();

  describe('users create', () => {
    it('posts the username with the bearer token and reports the new user', async () => {
      cli.server.reply('POST', '/api/v1/users', {
        status: 201,
        body: { id: 1, username: 'alice', admin: false, created_at: '2025-01-01T00:00:00Z' },
      });

      const result = await cli.run(['users', 'create', 'alice']);

      expect(result).toEqual({ code: 0, stdout: 'Created user alice (id 1)\n', stderr: '' });
      expect(cli.server.requests).toEqual([
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
      cli.server.reply('POST', '/api/v1/users', {
        status: 201,
        body: { id: 2, username: 'root', admin: true, created_at: '2025-01-01T00:00:00Z' },
      });

      const result = await cli.run(['users', 'create', 'root', '--password-stdin', '--admin'], {
        stdin: 'p4ss word\n',
      });

      expect(result).toEqual({ code: 0, stdout: 'Created admin user root (id 2)\n', stderr: '' });
      expect(cli.server.requests[0]?.body).toEqual({ username: 'root', password: 'p4ss word', admin: true });
    });

    it('sends --password as given', async () => {
      cli.server.reply('POST', '/api/v1/users', {
        status: 201,
        body: { id: 3, username: 'bob', admin: false, created_at: '2025-01-01T00:00:00Z' },
      });

      expect((await cli.run(['users', 'create', 'bob', '--password', 'hunter2'])).code).toBe(0);
      expect(cli.server.requests[0]?.body).toEqual({ username: 'bob', password: 'hunter2' });
    });

    it('rejects --password together with --password-stdin before calling the server', async () => {
      const result = await cli.run(['users', 'create', 'bob', '--password', 'x', '--password-stdin'], {
        stdin: 'y\n',
      });

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('lfs-depot: give either --password or --password-stdin, not both\n');
      expect(result.stderr).toContain('usage: lfs-depot users create [options] <username>');
      expect(cli.server.requests).toEqual([]);
    });

    it('rejects an empty stdin for --password-stdin', async () => {
      const result = await cli.run(['users', 'create', 'bob', '--password-stdin']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('lfs-depot: --password-stdin: standard input was empty\n');
      expect(cli.server.requests).toEqual([]);
    });
  });

  describe('users delete', () => {
    it('deletes the user, addressing them as one encoded segment', async () => {
      cli.server.reply('DELETE', '/api/v1/users/d.o%2Fe', { status: 204 });

      const result = await cli.run(['users', 'delete', 'd.o/e']);

      expect(result).toEqual({ code: 0, stdout: 'Deleted user d.o/e\n', stderr: '' });
    });
  });

  describe('users list', () => {
    const alice = { id: '1', username: 'alice', admin: false, created_at: '2025-01-01T00:00:00.000Z' };
    const root = { id: '2', username: 'root', admin: true, created_at: '2025-01-02T00:00:00.000Z' };

    it('lists users as a table, passing the filters', async () => {
      cli.server.reply('GET', '/api/v1/users?prefix=r&admin=true&limit=100', {
        status: 200,
        body: { users: [root], next_cursor: null },
      });

      const result = await cli.run(['users', 'list', '--prefix', 'r', '--admin']);

      expect(result).toEqual({
        code: 0,
        stdout: 'USERNAME  ID  ADMIN  CREATED\nroot      2   yes    2025-01-02T00:00:00.000Z\n',
        stderr: '',
      });
    });

    it('prints every page as one JSON array', async () => {
      cli.server.reply('GET', '/api/v1/users?limit=100', {
        status: 200,
        body: { users: [alice], next_cursor: 'x' },
      });
      cli.server.reply('GET', '/api/v1/users?limit=100&cursor=x', {
        status: 200,
        body: { users: [root], next_cursor: null },
      });

      const result = await cli.run(['users', 'list', '--json']);

      expect(JSON.parse(result.stdout)).toEqual([alice, root]);
    });
  });

  describe('users set-password', () => {
    it('puts the password read from stdin', async () => {
      cli.server.reply('PUT', '/api/v1/users/alice/password', { status: 204 });

      const result = await cli.run(['users', 'set-password', 'alice', '--password-stdin'], {
        stdin: 'new password 1\n',
      });

      expect(result).toEqual({ code: 0, stdout: 'Set the password of alice\n', stderr: '' });
      expect(cli.server.requests[0]).toMatchObject({ method: 'PUT', body: { password: 'new password 1' } });
    });

    it('removes the password with --no-password', async () => {
      cli.server.reply('PUT', '/api/v1/users/alice/password', { status: 204 });

      const result = await cli.run(['users', 'set-password', 'alice', '--no-password']);

      expect(result).toEqual({ code: 0, stdout: 'Removed the password of alice\n', stderr: '' });
      expect(cli.server.requests[0]?.body).toEqual({ password: null });
    });

    it.each([
      [[], 'give --password, --password-stdin or --no-password'],
      [['--no-password', '--password-stdin'], 'give either --no-password or --password-stdin, not both'],
    ])('exits 2 for %j without calling the server', async (flags, message) => {
      const result = await cli.run(['users', 'set-password', 'alice', ...flags], { stdin: 'x\n' });

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`lfs-depot: ${message}\n`);
      expect(cli.server.requests).toEqual([]);
    });
  });

  describe('users show', () => {
    it('shows a user', async () => {
      cli.server.reply('GET', '/api/v1/users/root', {
        status: 200,
        body: { id: '2', username: 'root', admin: true, created_at: '2025-01-02T00:00:00.000Z' },
      });

      const result = await cli.run(['users', 'show', 'root']);

      expect(result).toEqual({
        code: 0,
        stdout: 'username  root\nid        2\nadmin     yes\ncreated   2025-01-02T00:00:00.000Z\n',
        stderr: '',
      });
    });
  });
});
