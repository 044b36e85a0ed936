import { describe, expect, it } from '@jest/globals';

import { useCliHarness } from '../test/cli-harness.js';
import { main } from './main.js';

// lfs-depot run through main() against a fake admin API, as the shell runs it.
describe(main.name, () => {
  const cli = useCliHarness();

  describe('help and usage', () => {
    const leaves = [
      'users create',
      'tokens create',
      'projects create',
      'projects show',
      'projects update',
      'projects delete',
      'members set',
      'members remove',
      'stats',
      'users list',
      'users show',
      'tokens list-platform',
      'tokens revoke-platform',
      'users set-password',
      'users delete',
      'tokens list',
      'tokens revoke',
      'projects list',
      'members list',
      'locks list',
      'locks unlock',
      'objects list',
      'audit',
    ];

    it('lists every command on --help and on help, exit 0', async () => {
      const flag = await cli.run(['--help']);
      const word = await cli.run(['help']);

      expect(flag.code).toBe(0);
      expect(flag.stderr).toBe('');
      for (const leaf of leaves) {
        expect(flag.stdout).toMatch(new RegExp(`^  ${leaf}( <| {2})`, 'm'));
      }
      expect(word).toEqual(flag);
    });

    it.each(leaves)('prints the usage of %s on --help', async (leaf) => {
      const result = await cli.run([...leaf.split(' '), '--help']);

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: lfs-depot ${leaf} `));
      expect(result.stdout).toContain('--json');
      expect(result.stdout).toContain('--token <token>');
    });

    it('documents the quota suffixes on projects create --help', async () => {
      const result = await cli.run(['help', 'projects', 'create']);

      expect(result.code).toBe(0);
      expect(result.stdout).toContain('--quota <size>');
      expect(result.stdout).toContain('K, M, G or T (powers of 1024)');
    });

    it('prints help even when other arguments are wrong', async () => {
      const result = await cli.run(['projects', 'create', '--bogus', '--help']);

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: lfs-depot projects create/);
    });

    it('lists the subcommands of a group', async () => {
      const result = await cli.run(['projects', '--help']);

      expect(result.code).toBe(0);
      expect(result.stdout).toContain('  projects update <path>  ');
    });

    it.each([
      [[], 'missing command'],
      [['frobnicate'], "unknown command 'frobnicate'"],
      [['help', 'frobnicate'], "unknown command 'frobnicate'"],
      [['--verbose', 'stats'], "unknown option '--verbose'"],
      [['projects'], "'projects' needs a command"],
      [['projects', 'rename', 'a'], "unknown command 'projects rename'"],
      [['stats'], "missing required argument 'project'"],
      [['stats', 'a', 'b'], "too many arguments for 'stats'. Expected 1 argument but got 2."],
      [['stats', 'a', '--frob'], "unknown option '--frob'"],
      [['stats', 'a', '--url'], "option '--url <url>' argument missing"],
    ])('exits 2 with a usage message for %j', async (argv, message) => {
      const result = await cli.run(argv);

      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(new RegExp(`^lfs-depot: ${escapeRegExp(message)}\nusage: lfs-depot `));
      expect(result.stderr).toMatch(/Run 'lfs-depot .*--help' for more\.\n$/);
      expect(cli.server.requests).toEqual([]);
    });
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
