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

  describe('tokens list and revoke', () => {
    const active = {
      id: '4',
      name: 'laptop',
      expires_at: null,
      last_used_at: '2025-02-01T00:00:00.000Z',
      revoked_at: null,
      created_at: '2025-01-01T00:00:00.000Z',
    };
    const revoked = {
      ...active,
      id: '5',
      name: 'old ci',
      last_used_at: null,
      revoked_at: '2025-01-05T00:00:00.000Z',
    };
    const expired = { ...active, id: '6', name: 'temp', expires_at: '2025-01-02T00:00:00.000Z' };

    it('lists the tokens with their state, from a plain array answer as well as from pages', async () => {
      cli.server.reply('GET', '/api/v1/users/alice/tokens?limit=100', {
        status: 200,
        body: [active, revoked, expired],
      });

      const result = await cli.run(['tokens', 'list', 'alice']);

      expect(result).toEqual({
        code: 0,
        stdout: [
          'ID  NAME    STATE    CREATED                   EXPIRES                   LAST USED',
          '4   laptop  active   2025-01-01T00:00:00.000Z  never                     2025-02-01T00:00:00.000Z',
          '5   old ci  revoked  2025-01-01T00:00:00.000Z  never                     never',
          '6   temp    expired  2025-01-01T00:00:00.000Z  2025-01-02T00:00:00.000Z  2025-02-01T00:00:00.000Z',
          '',
        ].join('\n'),
        stderr: '',
      });
    });

    it('follows the pages of a paged answer, and prints JSON with --json', async () => {
      cli.server.reply('GET', '/api/v1/users/alice/tokens?limit=100', {
        status: 200,
        body: { tokens: [active], next_cursor: 'n' },
      });
      cli.server.reply('GET', '/api/v1/users/alice/tokens?limit=100&cursor=n', {
        status: 200,
        body: { tokens: [revoked], next_cursor: null },
      });

      const result = await cli.run(['tokens', 'list', 'alice', '--json']);

      expect(JSON.parse(result.stdout)).toEqual([active, revoked]);
    });

    it('revokes a token by id, or by the name of the one active token so named', async () => {
      cli.server.reply('GET', '/api/v1/users/alice/tokens?limit=100', {
        status: 200,
        body: { tokens: [active, revoked, { ...revoked, id: '7', name: 'laptop' }], next_cursor: null },
      });
      cli.server.reply('DELETE', '/api/v1/users/alice/tokens/4', { status: 204 });
      cli.server.reply('DELETE', '/api/v1/users/alice/tokens/5', { status: 204 });

      const byId = await cli.run(['tokens', 'revoke', 'alice', '5']);
      const byName = await cli.run(['tokens', 'revoke', 'alice', 'laptop']);

      expect(byId).toEqual({ code: 0, stdout: 'Revoked token 5 of alice\n', stderr: '' });
      expect(byName).toEqual({ code: 0, stdout: 'Revoked token 4 of alice\n', stderr: '' });
      expect(cli.server.requests.filter((r) => r.method === 'DELETE').map((r) => r.url)).toEqual([
        '/api/v1/users/alice/tokens/5',
        '/api/v1/users/alice/tokens/4',
      ]);
    });

    it('revokes nothing when the name is unknown or names several active tokens', async () => {
      cli.server.reply('GET', '/api/v1/users/alice/tokens?limit=100', {
        status: 200,
        body: { tokens: [active, { ...active, id: '8' }], next_cursor: null },
      });

      const unknown = await cli.run(['tokens', 'revoke', 'alice', 'desktop']);
      const ambiguous = await cli.run(['tokens', 'revoke', 'alice', 'laptop']);

      expect(unknown).toEqual({
        code: 1,
        stdout: '',
        stderr: "lfs-depot: alice has no token with id desktop and no active token named 'desktop'\n",
      });
      expect(ambiguous.stderr).toBe(
        "lfs-depot: alice has 2 active tokens named 'laptop' (ids 4, 8); revoke one by its id\n",
      );
      expect(cli.server.requests.map((r) => r.method)).toEqual(['GET', 'GET']);
    });
  });

  describe('tokens list-platform and revoke-platform', () => {
    const hooks = {
      id: '3',
      name: 'hooks',
      projects: ['games/engine', 'games/art'],
      created_at: '2025-01-01T00:00:00.000Z',
      revoked_at: null,
    };
    const ssh = { ...hooks, id: '4', name: 'ssh', projects: null, revoked_at: '2025-01-03T00:00:00.000Z' };

    it('lists platform tokens with their projects and state', async () => {
      cli.server.reply('GET', '/api/v1/platform-tokens?limit=100', {
        status: 200,
        body: { platform_tokens: [hooks, ssh], next_cursor: null },
      });

      const result = await cli.run(['tokens', 'list-platform']);

      expect(result).toEqual({
        code: 0,
        stdout: [
          'ID  NAME   STATE    CREATED                   PROJECTS',
          '3   hooks  active   2025-01-01T00:00:00.000Z  games/engine,games/art',
          '4   ssh    revoked  2025-01-01T00:00:00.000Z  all',
          '',
        ].join('\n'),
        stderr: '',
      });
    });

    it('revokes a platform token by id', async () => {
      cli.server.reply('DELETE', '/api/v1/platform-tokens/3', { status: 204 });

      const result = await cli.run(['tokens', 'revoke-platform', '3']);

      expect(result).toEqual({ code: 0, stdout: 'Revoked platform token 3\n', stderr: '' });
    });
  });
});
