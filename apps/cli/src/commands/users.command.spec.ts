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
});
