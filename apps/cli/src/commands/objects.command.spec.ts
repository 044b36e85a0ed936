import { describe, expect, it } from '@jest/globals';

import { useCliHarness } from '../../test/cli-harness.js';
import { main } from '../main.js';

const ROUTE = '/api/v1/projects/games%2Fengine/objects';
const A = { oid: 'a'.repeat(64), size: 1536, created_at: '2025-01-02T03:04:05.000Z' };
const B = { oid: 'b'.repeat(64), size: 12, created_at: '2025-01-03T03:04:05.000Z' };
const C = { oid: 'c'.repeat(64), size: 10737418240, created_at: '2025-01-04T03:04:05.000Z' };

// lfs-depot run through main() against a fake admin API, as the shell runs it.
describe(main.name, () => {
  const cli = useCliHarness();

  describe('objects list', () => {
    function twoPages(): void {
      cli.server.reply('GET', `${ROUTE}?limit=100`, {
        status: 200,
        body: { objects: [A, B], next_cursor: 'k2' },
      });
      cli.server.reply('GET', `${ROUTE}?limit=100&cursor=k2`, {
        status: 200,
        body: { objects: [C], next_cursor: null },
      });
    }

    it('follows next_cursor to the last page and prints one table', async () => {
      twoPages();

      const result = await cli.run(['objects', 'list', 'games/engine']);

      expect(result).toEqual({
        code: 0,
        stdout: [
          'OID                                                               SIZE      LINKED',
          `${A.oid}  1.5 KiB   ${A.created_at}`,
          `${B.oid}  12 bytes  ${B.created_at}`,
          `${C.oid}  10 GiB    ${C.created_at}`,
          '',
        ].join('\n'),
        stderr: '',
      });
      expect(cli.server.requests.map((r) => r.url)).toEqual([
        `${ROUTE}?limit=100`,
        `${ROUTE}?limit=100&cursor=k2`,
      ]);
    });

    it('prints every page as one JSON array with --json', async () => {
      twoPages();

      const result = await cli.run(['objects', 'list', 'games/engine', '--json']);

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual([A, B, C]);
    });

    it('asks for no more than --limit and stops there', async () => {
      cli.server.reply('GET', `${ROUTE}?limit=2`, {
        status: 200,
        body: { objects: [A, B], next_cursor: 'k2' },
      });

      const result = await cli.run(['objects', 'list', 'games/engine', '--limit', '2', '--json']);

      expect(JSON.parse(result.stdout)).toEqual([A, B]);
      expect(cli.server.requests.map((r) => r.url)).toEqual([`${ROUTE}?limit=2`]);
    });

    it('says so when the project links nothing', async () => {
      cli.server.reply('GET', `${ROUTE}?limit=100`, {
        status: 200,
        body: { objects: [], next_cursor: null },
      });

      const result = await cli.run(['objects', 'list', 'games/engine']);

      expect(result).toEqual({ code: 0, stdout: 'games/engine links no LFS objects\n', stderr: '' });
    });

    it.each(['0', '-3', '1.5', 'many'])('refuses --limit %s before calling the server', async (limit) => {
      const result = await cli.run(['objects', 'list', 'games/engine', '--limit', limit]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`is not a positive whole number`);
      expect(cli.server.requests).toEqual([]);
    });

    it("reports the server's error for an unknown project and exits 1", async () => {
      cli.server.reply('GET', `${ROUTE}?limit=100`, {
        status: 404,
        body: { message: "Project 'games/engine' not found", code: 'PROJECT_NOT_FOUND', request_id: 'r' },
      });

      const result = await cli.run(['objects', 'list', 'games/engine']);

      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: "lfs-depot: Project 'games/engine' not found (HTTP 404)\n",
      });
    });
  });
});
