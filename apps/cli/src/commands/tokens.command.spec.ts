import { describe, expect, it } from '@jest/globals';

import { useCliHarness } from '../../test/cli-harness.js';
import { main } from '../main.js';

// lfs-depot run through main() against a fake admin API, as the shell runs it.
describe(main.name, () => {
  const cli = useCliHarness();

  describe('tokens create-platform', () => {
    it('prints the platform token alone, limited to the projects given', async () => {
      cli.server.reply('POST', '/api/v1/platform-tokens', {
        status: 201,
        body: {
          id: '3',
          name: 'hooks',
          token: 'lfsp_0123456789abcdef',
          projects: ['games/engine', 'games/art'],
        },
      });

      const result = await cli.run([
        'tokens',
        'create-platform',
        'hooks',
        '--projects',
        'games/engine,games/art',
      ]);

      expect(result).toEqual({ code: 0, stdout: 'lfsp_0123456789abcdef\n', stderr: '' });
      expect(cli.server.requests[0]?.body).toEqual({
        name: 'hooks',
        projects: ['games/engine', 'games/art'],
      });
    });

    it('sends no project list without --projects, and refuses an empty path', async () => {
      cli.server.reply('POST', '/api/v1/platform-tokens', {
        status: 201,
        body: { id: '4', name: 'ssh', token: 'lfsp_x', projects: null },
      });
      expect((await cli.run(['tokens', 'create-platform', 'ssh'])).code).toBe(0);
      expect(cli.server.requests[0]?.body).toEqual({ name: 'ssh' });
      const refused = await cli.run(['tokens', 'create-platform', 'ssh', '--projects', 'a/b,,c/d']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('--projects');
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
      cli.server.reply('POST', '/api/v1/users/ci-bot/tokens', { status: 201, body: created });

      const result = await cli.run(['tokens', 'create', 'ci-bot', 'deploy', '--expires-at', '2030-01-31']);

      expect(result).toEqual({ code: 0, stdout: 'lfsd_0123456789abcdef\n', stderr: '' });
      expect(cli.server.requests[0]?.body).toEqual({
        name: 'deploy',
        expires_at: '2030-01-31T00:00:00.000Z',
      });
    });

    it('prints the whole answer with --json', async () => {
      cli.server.reply('POST', '/api/v1/users/ci-bot/tokens', { status: 201, body: created });

      const result = await cli.run(['tokens', 'create', 'ci-bot', 'deploy', '--json']);

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(created);
      expect(cli.server.requests[0]?.body).toEqual({ name: 'deploy' });
    });

    it('encodes the username as one path segment', async () => {
      cli.server.reply('POST', '/api/v1/users/a%2Fb%20c/tokens', { status: 201, body: created });

      expect((await cli.run(['tokens', 'create', 'a/b c', 'deploy'])).code).toBe(0);
      expect(cli.server.requests[0]?.url).toBe('/api/v1/users/a%2Fb%20c/tokens');
    });

    it('rejects an unparseable --expires-at', async () => {
      const result = await cli.run(['tokens', 'create', 'ci-bot', 'deploy', '--expires-at', 'next tuesday']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        "lfs-depot: option '--expires-at <date>' argument 'next tuesday' is invalid. 'next tuesday' is not an ISO 8601 date\n",
      );
      expect(cli.server.requests).toEqual([]);
    });

    it('rejects a missing <name>', async () => {
      const result = await cli.run(['tokens', 'create', 'ci-bot']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain("lfs-depot: missing required argument 'name'\n");
    });
  });
});
