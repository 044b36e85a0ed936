import { describe, expect, it } from '@jest/globals';

import { PROJECT, TOKEN, useCliHarness } from '../../test/cli-harness.js';
import { main } from '../main.js';

// lfs-depot run through main() against a fake admin API, as the shell runs it.
describe(main.name, () => {
  const cli = useCliHarness();

  describe('projects', () => {
    it('creates a nested project with visibility and a suffixed quota', async () => {
      cli.server.reply('POST', '/api/v1/projects', {
        status: 201,
        body: { ...PROJECT, visibility: 'public', quota_bytes: 10737418240 },
      });

      const result = await cli.run(['projects', 'create', 'group/sub/name', '--public', '--quota', '10G']);

      expect(result.code).toBe(0);
      expect(cli.server.requests[0]).toMatchObject({
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
      cli.server.reply('POST', '/api/v1/projects', { status: 201, body: PROJECT });

      expect((await cli.run(['projects', 'create', 'solo'])).code).toBe(0);
      expect(cli.server.requests[0]?.body).toEqual({ path: 'solo' });
    });

    it('rejects conflicting visibility flags', async () => {
      const result = await cli.run(['projects', 'create', 'x', '--public', '--visibility', 'private']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        "lfs-depot: option '--public' cannot be used with option '--visibility <visibility>'\n",
      );
      expect(cli.server.requests).toEqual([]);
    });

    it('rejects an unknown visibility and a malformed quota', async () => {
      const visibility = await cli.run(['projects', 'create', 'x', '--visibility', 'internal']);
      const quota = await cli.run(['projects', 'create', 'x', '--quota', '10X']);

      expect(visibility.code).toBe(2);
      expect(visibility.stderr).toContain(
        "lfs-depot: option '--visibility <visibility>' argument 'internal' is invalid. Allowed choices are private, public.\n",
      );
      expect(quota.code).toBe(2);
      expect(quota.stderr).toContain(
        "lfs-depot: option '--quota <size>' argument '10X' is invalid. '10X' is not a size",
      );
      expect(cli.server.requests).toEqual([]);
    });

    it('shows a project with its members, addressing it as one encoded segment', async () => {
      cli.server.reply('GET', '/api/v1/projects/group%2Fsub%2Fname', {
        status: 200,
        body: {
          ...PROJECT,
          members: [
            { username: 'alice', role: 'write' },
            { username: 'bob', role: 'maintainer' },
          ],
        },
      });

      const result = await cli.run(['projects', 'show', 'group/sub/name']);

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
      expect(cli.server.requests[0]).toMatchObject({
        method: 'GET',
        authorization: `Bearer ${TOKEN}`,
        body: undefined,
      });
    });

    it('prints the raw project with --json', async () => {
      cli.server.reply('GET', '/api/v1/projects/group%2Fsub%2Fname', { status: 200, body: PROJECT });

      const result = await cli.run(['projects', 'show', 'group/sub/name', '--json']);

      expect(JSON.parse(result.stdout)).toEqual(PROJECT);
    });

    it('removes the quota with --no-quota', async () => {
      cli.server.reply('PATCH', '/api/v1/projects/group%2Fsub%2Fname', { status: 200, body: PROJECT });

      const result = await cli.run(['projects', 'update', 'group/sub/name', '--no-quota']);

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Updated project group\/sub\/name\n/);
      expect(cli.server.requests[0]).toMatchObject({ method: 'PATCH', body: { quota_bytes: null } });
    });

    it('updates visibility and quota together', async () => {
      cli.server.reply('PATCH', '/api/v1/projects/g%2Fn', { status: 200, body: PROJECT });

      expect(
        (await cli.run(['projects', 'update', 'g/n', '--visibility', 'private', '--quota', '500M'])).code,
      ).toBe(0);
      expect(cli.server.requests[0]?.body).toEqual({ visibility: 'private', quota_bytes: 524288000 });
    });

    it('rejects an update with nothing to change, or with --quota and --no-quota', async () => {
      const nothing = await cli.run(['projects', 'update', 'g/n']);
      const both = await cli.run(['projects', 'update', 'g/n', '--quota', '1G', '--no-quota']);

      expect(nothing.code).toBe(2);
      expect(nothing.stderr).toContain('lfs-depot: nothing to update');
      expect(both.code).toBe(2);
      expect(both.stderr).toContain('lfs-depot: give either --quota or --no-quota, not both');
      expect(cli.server.requests).toEqual([]);
    });

    it('deletes a project and prints nothing with --json', async () => {
      cli.server.reply('DELETE', '/api/v1/projects/group%2Fsub%2Fname', { status: 204 });

      const human = await cli.run(['projects', 'delete', 'group/sub/name']);
      const json = await cli.run(['projects', 'delete', 'group/sub/name', '--json']);

      expect(human).toEqual({ code: 0, stdout: 'Deleted project group/sub/name\n', stderr: '' });
      expect(json).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(cli.server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        'DELETE /api/v1/projects/group%2Fsub%2Fname',
        'DELETE /api/v1/projects/group%2Fsub%2Fname',
      ]);
    });
  });

  describe('projects list', () => {
    const engine = {
      ...PROJECT,
      path: 'games/engine',
      lfs_objects_count: 3,
      lfs_objects_size: 1610612736,
      quota_bytes: 10737418240,
    };
    const art = {
      ...PROJECT,
      path: 'games/art',
      visibility: 'public',
      lfs_objects_count: 0,
      lfs_objects_size: 0,
    };

    it('lists projects with usage and quota, passing the filters', async () => {
      cli.server.reply('GET', '/api/v1/projects?prefix=games%2F&limit=100', {
        status: 200,
        body: { projects: [art, engine], next_cursor: null },
      });

      const result = await cli.run(['projects', 'list', '--prefix', 'games/']);

      expect(result).toEqual({
        code: 0,
        stdout: [
          'PATH          VISIBILITY  OBJECTS  SIZE     QUOTA   USED',
          'games/art     public      0        0 bytes  none    -',
          'games/engine  private     3        1.5 GiB  10 GiB  15.0%',
          '',
        ].join('\n'),
        stderr: '',
      });
    });

    it('refuses an unknown --visibility', async () => {
      const result = await cli.run(['projects', 'list', '--visibility', 'internal']);

      expect(result.code).toBe(2);
      expect(cli.server.requests).toEqual([]);
    });
  });
});
