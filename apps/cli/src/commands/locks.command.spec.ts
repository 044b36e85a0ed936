import { describe, expect, it } from '@jest/globals';

import { useCliHarness } from '../../test/cli-harness.js';
import { main } from '../main.js';

const LOCK = {
  id: '12',
  path: 'art/hero.psd',
  locked_at: '2025-06-02T09:14:03.000Z',
  owner: { name: 'alice' },
};

// lfs-depot run through main() against a fake admin API, as the shell runs it.
describe(main.name, () => {
  const cli = useCliHarness();

  describe('locks list', () => {
    it('lists every lock of a project with its owner, passing the filters', async () => {
      cli.server.reply('GET', '/api/v1/projects/games%2Fengine/locks?owner=alice&limit=100', {
        status: 200,
        body: { locks: [LOCK], next_cursor: null },
      });

      const result = await cli.run(['locks', 'list', 'games/engine', '--owner', 'alice']);

      expect(result).toEqual({
        code: 0,
        stdout: 'ID  PATH          OWNER  LOCKED\n12  art/hero.psd  alice  2025-06-02T09:14:03.000Z\n',
        stderr: '',
      });
    });

    it('passes --path as a query parameter', async () => {
      cli.server.reply('GET', '/api/v1/projects/games%2Fengine/locks?path=art%2Fhero.psd&limit=100', {
        status: 200,
        body: { locks: [LOCK], next_cursor: null },
      });

      const result = await cli.run(['locks', 'list', 'games/engine', '--path', 'art/hero.psd', '--json']);

      expect(JSON.parse(result.stdout)).toEqual([LOCK]);
    });
  });

  describe('locks unlock', () => {
    it('removes the lock with --force and says whose it was', async () => {
      cli.server.reply('DELETE', '/api/v1/projects/games%2Fengine/locks/12', {
        status: 200,
        body: { lock: LOCK },
      });

      const result = await cli.run(['locks', 'unlock', 'games/engine', '12', '--force']);

      expect(result).toEqual({
        code: 0,
        stdout: 'Unlocked art/hero.psd in games/engine (lock 12, held by alice)\n',
        stderr: '',
      });
    });

    it('exits 2 without --force, calling nothing', async () => {
      const result = await cli.run(['locks', 'unlock', 'games/engine', '12']);

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^lfs-depot: an admin unlock removes the lock whoever holds it: add --force/,
      );
      expect(cli.server.requests).toEqual([]);
    });

    it("reports the server's 404 for an unknown lock", async () => {
      cli.server.reply('DELETE', '/api/v1/projects/games%2Fengine/locks/99', {
        status: 404,
        body: { message: "Project 'games/engine' has no lock 99", code: 'LOCK_NOT_FOUND', request_id: 'r' },
      });

      const result = await cli.run(['locks', 'unlock', 'games/engine', '99', '--force']);

      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: "lfs-depot: Project 'games/engine' has no lock 99 (HTTP 404)\n",
      });
    });
  });
});
