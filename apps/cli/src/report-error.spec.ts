import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from '@jest/globals';

import { TOKEN, useCliHarness } from '../test/cli-harness.js';
import { closedPortUrl } from '../test/fake-admin.server.js';
import { main } from './main.js';

// lfs-depot run through main() against a fake admin API, as the shell runs it.
describe(main.name, () => {
  const cli = useCliHarness();

  describe('errors', () => {
    it("prints the server's message and status and exits 1 on a 4xx", async () => {
      cli.server.reply('GET', '/api/v1/projects/nope/statistics', {
        status: 404,
        body: { message: 'project not found', request_id: 'req-1', code: 'PROJECT_NOT_FOUND' },
      });

      const result = await cli.run(['stats', 'nope']);

      expect(result).toEqual({ code: 1, stdout: '', stderr: 'lfs-depot: project not found (HTTP 404)\n' });
    });

    it('adds a hint about the token on 401', async () => {
      cli.server.reply('POST', '/api/v1/users', {
        status: 401,
        body: { message: 'bad credentials', request_id: 'r' },
      });

      const result = await cli.run(['users', 'create', 'alice']);

      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        'lfs-depot: bad credentials (HTTP 401)\n' +
          'lfs-depot: the admin token (from LFS_DEPOT_TOKEN) was refused; check LFS_DEPOT_TOKEN, --token or --data-dir\n',
      );
    });

    it('names the admin-token file a refused token was read from', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'lfs-depot-stale-'));
      writeFileSync(join(dataDir, 'admin-token'), 'stale\n');
      cli.server.reply('GET', '/api/v1/projects/p/statistics', {
        status: 401,
        body: { message: 'bad credentials', request_id: 'r' },
      });

      const result = await cli.run(['stats', 'p', '--data-dir', dataDir], {
        env: { LFS_DEPOT_URL: cli.server.url },
      });
      rmSync(dataDir, { recursive: true, force: true });

      expect(cli.server.requests[0]?.authorization).toBe('Bearer stale');
      expect(result.stderr).toContain(
        `lfs-depot: the admin token (from ${join(dataDir, 'admin-token')}) was refused;`,
      );
    });

    it('explains a refused connection', async () => {
      const url = await closedPortUrl();

      const result = await cli.run(['stats', 'p'], { env: { LFS_DEPOT_URL: url, LFS_DEPOT_TOKEN: TOKEN } });

      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `lfs-depot: cannot reach ${url} (connect ECONNREFUSED ${url.replace('http://', '')}); ` +
          'is the server running? Set LFS_DEPOT_URL.\n',
      );
    });

    it('asks for a token when none is configured, without calling the server', async () => {
      const result = await cli.run(['stats', 'p'], { env: { LFS_DEPOT_URL: cli.server.url } });

      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^lfs-depot: no admin token: LFS_DEPOT_TOKEN is not set and none of these files exists:\n/,
      );
      expect(cli.server.requests).toEqual([]);
    });
  });
});
