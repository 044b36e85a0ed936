import { describe, expect, it } from '@jest/globals';

import { useCliHarness } from '../../test/cli-harness.js';
import { main } from '../main.js';

const REPORT = {
  from: 'file:///srv/lfs/objects',
  to: 's3://lfs/prod (region eu-west-1)',
  objects: 3,
  bytes: 3072,
  copied: 2,
  copied_bytes: 2048,
  already_migrated: 1,
  purged: 0,
  missing: 0,
  corrupt: 0,
  failed: 0,
  remaining: 0,
  problems: [],
};

function job(state: string, result: unknown = null): Record<string, unknown> {
  return {
    id: '9',
    kind: 'storage-migrate',
    state,
    params: {},
    progress: { phase: 'copy', done: 1, total: 3, bytes_done: 1000, bytes_total: 3000 },
    result,
    error: state === 'failed' ? 'STORAGE_FALLBACK is not set' : null,
    cancel_requested: false,
    attempts: 1,
    created_at: '2025-01-02T03:04:05.000Z',
    started_at: null,
    finished_at: null,
  };
}

// lfs-depot run through main() against a fake admin API, as the shell runs it.
describe(main.name, () => {
  const cli = useCliHarness();

  describe('storage migrate', () => {
    it('queues a migration with the options, follows it and prints the report, exit 0 when nothing is left', async () => {
      cli.server.reply('POST', '/api/v1/storage/migrate', { status: 202, body: job('queued') });
      cli.server.reply('GET', '/api/v1/jobs/9', { status: 200, body: job('succeeded', REPORT) });

      const result = await cli.run(['storage', 'migrate', '--concurrency', '8', '--max-rate', '50M']);

      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(cli.server.requests[0]).toMatchObject({
        method: 'POST',
        url: '/api/v1/storage/migrate',
        body: { concurrency: 8, max_bytes_per_second: 50 * 1024 * 1024 },
      });
      expect(result.stdout).toContain('copied            2 (2 KiB), each verified');
      expect(result.stdout).toContain('STORAGE_FALLBACK can be removed');
    });

    it('prints the raw report with --json and exits 1 while objects remain, naming them', async () => {
      const problem = { oid: 'a'.repeat(64), size: 10, reason: 'missing' };
      const left = { ...REPORT, missing: 1, remaining: 1, problems: [problem] };
      cli.server.reply('POST', '/api/v1/storage/migrate', { status: 202, body: job('queued') });
      cli.server.reply('GET', '/api/v1/jobs/9', { status: 200, body: job('succeeded', left) });

      const json = await cli.run(['storage', 'migrate', '--json']);
      const human = await cli.run(['storage', 'migrate']);

      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toEqual(left);
      expect(human.code).toBe(1);
      expect(human.stdout).toContain(`missing ${problem.oid} (10 bytes)`);
      expect(human.stdout).toContain('1 object(s) are not on the new backend');
    });

    it('exits 1 with the error when the job failed', async () => {
      cli.server.reply('POST', '/api/v1/storage/migrate', { status: 202, body: job('queued') });
      cli.server.reply('GET', '/api/v1/jobs/9', { status: 200, body: job('failed') });

      const result = await cli.run(['storage', 'migrate']);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('storage-migrate job 9 failed: STORAGE_FALLBACK is not set');
    });

    it.each([
      [['--concurrency', '0'], '--concurrency must be an integer from 1 to 32'],
      [['--max-rate', 'fast'], "--max-rate: 'fast' is not a size"],
    ])('refuses %j with exit 2 before calling the server', async (options, message) => {
      const result = await cli.run(['storage', 'migrate', ...options]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(cli.server.requests).toEqual([]);
    });
  });
});
