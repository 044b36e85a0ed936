import { describe, expect, it } from '@jest/globals';

import { useCliHarness } from '../../test/cli-harness.js';
import { main } from '../main.js';

// lfs-depot run through main() against a fake admin API, as the shell runs it.
describe(main.name, () => {
  const cli = useCliHarness();

  describe('stats', () => {
    it('prints count, size and quota use for people', async () => {
      cli.server.reply('GET', '/api/v1/projects/group%2Fname/statistics', {
        status: 200,
        body: { lfs_objects_count: 12, lfs_objects_size: 1610612736, quota_bytes: 10737418240 },
      });

      const result = await cli.run(['stats', 'group/name']);

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
      cli.server.reply('GET', '/api/v1/projects/p/statistics', {
        status: 200,
        body: { lfs_objects_count: 0, lfs_objects_size: 0, quota_bytes: null },
      });

      const result = await cli.run(['stats', 'p']);

      expect(result.stdout).toBe('project  p\nobjects  0\nsize     0 bytes\nquota    none\n');
    });

    it('prints the raw statistics with --json, also given before the command', async () => {
      const body = { lfs_objects_count: 1, lfs_objects_size: 5, quota_bytes: null };
      cli.server.reply('GET', '/api/v1/projects/p/statistics', { status: 200, body });

      const result = await cli.run(['--json', 'stats', 'p']);

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(body);
    });
  });
});
