import { describe, expect, it } from '@jest/globals';

import { useCliHarness } from '../../test/cli-harness.js';
import { main } from '../main.js';

// lfs-depot run through main() against a fake admin API, as the shell runs it.
describe(main.name, () => {
  const cli = useCliHarness();

  describe('members', () => {
    it('puts the role of a member', async () => {
      cli.server.reply('PUT', '/api/v1/projects/group%2Fname/members/alice', {
        status: 200,
        body: { project: 'group/name', username: 'alice', role: 'write' },
      });

      const result = await cli.run(['members', 'set', 'group/name', 'alice', 'write']);

      expect(result).toEqual({ code: 0, stdout: 'alice now has role write in group/name\n', stderr: '' });
      expect(cli.server.requests[0]).toMatchObject({ method: 'PUT', body: { role: 'write' } });
    });

    it('rejects an unknown role', async () => {
      const result = await cli.run(['members', 'set', 'group/name', 'alice', 'owner']);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        "lfs-depot: command-argument value 'owner' is invalid for argument 'role'. Allowed choices are read, write, maintainer.\n",
      );
      expect(cli.server.requests).toEqual([]);
    });

    it('removes a member', async () => {
      cli.server.reply('DELETE', '/api/v1/projects/group%2Fname/members/alice', { status: 204 });

      const result = await cli.run(['members', 'remove', 'group/name', 'alice']);

      expect(result).toEqual({ code: 0, stdout: 'Removed alice from group/name\n', stderr: '' });
      expect(cli.server.requests[0]).toMatchObject({ method: 'DELETE', body: undefined });
    });
  });

  describe('members list', () => {
    it('lists members with their roles, filtered by --role', async () => {
      cli.server.reply('GET', '/api/v1/projects/group%2Fname/members?role=write&limit=100', {
        status: 200,
        body: { members: [{ username: 'alice', role: 'write' }], next_cursor: null },
      });

      const result = await cli.run(['members', 'list', 'group/name', '--role', 'write']);

      expect(result).toEqual({ code: 0, stdout: 'USERNAME  ROLE\nalice     write\n', stderr: '' });
    });

    it('says so when the project has no members', async () => {
      cli.server.reply('GET', '/api/v1/projects/group%2Fname/members?limit=100', {
        status: 200,
        body: { members: [], next_cursor: null },
      });

      expect((await cli.run(['members', 'list', 'group/name'])).stdout).toBe('group/name has no members\n');
    });
  });
});
