import { describe, expect, it } from '@jest/globals';

import { useCliHarness } from '../../test/cli-harness.js';
import { main } from '../main.js';

const EVENT = {
  id: '31',
  created_at: '2025-06-02T09:14:03.000Z',
  actor: { type: 'admin_token', id: null, name: 'admin' },
  action: 'member.set',
  target: { type: 'member', id: null, name: 'alice' },
  project: 'games/engine',
  details: { role: 'write' },
  client_address: '127.0.0.1',
  request_id: 'req-7',
};

// lfs-depot run through main() against a fake admin API, as the shell runs it.
describe(main.name, () => {
  const cli = useCliHarness();

  describe('audit', () => {
    it('lists events with every filter passed on, the time as ISO 8601', async () => {
      cli.server.reply(
        'GET',
        '/api/v1/audit?project=games%2Fengine&actor=admin&action=member.set&since=2025-06-01T00%3A00%3A00.000Z&limit=100',
        { status: 200, body: { events: [EVENT], next_cursor: null } },
      );

      const result = await cli.run([
        'audit',
        '--project',
        'games/engine',
        '--actor',
        'admin',
        '--action',
        'member.set',
        '--since',
        '2025-06-01',
      ]);

      expect(result).toEqual({
        code: 0,
        stdout: [
          'TIME                      ACTOR                ACTION      TARGET  PROJECT       FROM       REQUEST  DETAILS',
          '2025-06-02T09:14:03.000Z  admin (admin_token)  member.set  alice   games/engine  127.0.0.1  req-7    role="write"',
          '',
        ].join('\n'),
        stderr: '',
      });
    });

    it('stops at --limit events, and prints JSON with --json', async () => {
      cli.server.reply('GET', '/api/v1/audit?limit=1', {
        status: 200,
        body: { events: [EVENT], next_cursor: 'n' },
      });

      const result = await cli.run(['audit', '--limit', '1', '--json']);

      expect(JSON.parse(result.stdout)).toEqual([EVENT]);
      expect(cli.server.requests).toHaveLength(1);
    });

    it.each([
      [['--action', 'user.rename'], "argument 'user.rename' is invalid"],
      [['--since', 'yesterday'], "'yesterday' is not an ISO 8601 date or time"],
    ])('exits 2 for %j', async (flags, message) => {
      const result = await cli.run(['audit', ...flags]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(cli.server.requests).toEqual([]);
    });
  });
});
