import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from '@jest/globals';
import type { ProjectImportReport } from '@lfs-depot/contracts';

import { useCliHarness } from '../../test/cli-harness.js';
import { main } from '../main.js';

const OID = 'a'.repeat(64);

function report(overrides: Partial<ProjectImportReport> = {}): ProjectImportReport {
  return {
    project: 'team/game',
    job_id: '4',
    created: true,
    listed: 3,
    listed_size: 3072,
    received: 3,
    linked: 3,
    linked_size: 3072,
    already_linked: 0,
    failed: 0,
    missing: 0,
    failures: [],
    statistics: { lfs_objects_count: 3, lfs_objects_size: 3072, quota_bytes: null },
    ...overrides,
  };
}

// lfs-depot projects export|import run through main() against a fake admin API.
describe(main.name, () => {
  const cli = useCliHarness();
  const folder = mkdtempSync(join(tmpdir(), 'lfs-depot-archive-'));

  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  describe('projects import', () => {
    it('sends standard input as the archive and prints the report', async () => {
      cli.server.reply('PUT', '/api/v1/projects/team%2Fgame/import', { status: 200, body: report() });

      // The fake server reads JSON bodies: a stand-in for the tar bytes, passed through unchanged.
      const result = await cli.run(['projects', 'import', 'team/game'], { stdin: '{"tar":"bytes"}' });

      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Created and imported team\/game \(job 4\)\n/);
      expect(result.stdout).toMatch(/linked +3 \(3 KiB\)/);
      expect(cli.server.requests).toEqual([
        expect.objectContaining({
          method: 'PUT',
          url: '/api/v1/projects/team%2Fgame/import',
          authorization: 'Bearer admin-secret',
          contentType: 'application/x-tar',
          body: { tar: 'bytes' },
        }),
      ]);
    });

    it('exits 1 and names each refused object when some were refused or missing', async () => {
      cli.server.reply('PUT', '/api/v1/projects/p/import?ignore_quota=true', {
        status: 200,
        body: report({
          created: false,
          linked: 1,
          failed: 1,
          missing: 1,
          failures: [{ oid: OID, reason: 'its bytes do not match; nothing was stored for it' }],
        }),
      });

      const result = await cli.run(['projects', 'import', 'p', '--ignore-quota'], { stdin: '{}' });

      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^Imported into team\/game/);
      expect(result.stdout).toContain(`refused ${OID}: its bytes do not match; nothing was stored for it`);
    });

    it('draws a progress bar out of the file size on a terminal, and none with --json', async () => {
      const file = join(folder, 'in.tar');
      writeFileSync(file, JSON.stringify({ tar: 'x'.repeat(3000) }));
      cli.server.reply('PUT', '/api/v1/projects/team%2Fgame/import', { status: 200, body: report() });

      const drawn = await cli.run(['projects', 'import', 'team/game', '--input', file], { terminal: true });

      expect(drawn.code).toBe(0);
      expect(drawn.stderr).toContain('import [');
      expect(drawn.stderr).toContain('2.94 KiB/2.94 KiB');
      expect(drawn.stdout).toMatch(/^Created and imported team\/game/);

      cli.server.reply('PUT', '/api/v1/projects/team%2Fgame/import', { status: 200, body: report() });
      const quiet = await cli.run(['projects', 'import', 'team/game', '--input', file, '--json'], {
        terminal: true,
      });
      expect(quiet.stderr).toBe('');
      expect(JSON.parse(quiet.stdout)).toEqual(report());
    });

    it("reports the server's refusal with its message", async () => {
      cli.server.reply('PUT', '/api/v1/projects/p/import', {
        status: 507,
        body: {
          message: 'This needs 3 KiB but project p has 1 KiB of its 1 KiB quota left',
          code: 'QUOTA_EXCEEDED',
        },
      });

      const result = await cli.run(['projects', 'import', 'p'], { stdin: '{}' });

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/1 KiB quota left/);
    });
  });

  describe('projects export', () => {
    it('writes the archive to standard output as it comes', async () => {
      cli.server.reply('GET', '/api/v1/projects/team%2Fgame/export', {
        status: 200,
        raw: 'tar bytes',
        headers: { 'content-type': 'application/x-tar', 'x-lfs-depot-job': '5' },
      });

      const result = await cli.run(['projects', 'export', 'team/game']);

      expect(result).toEqual({ code: 0, stdout: 'tar bytes', stderr: '' });
    });

    it('draws a progress bar on a terminal', async () => {
      cli.server.reply('GET', '/api/v1/projects/p/export', {
        status: 200,
        raw: 'tar bytes',
        headers: { 'content-type': 'application/x-tar' },
      });

      const result = await cli.run(['projects', 'export', 'p', '--output', join(folder, 'bar.tar')], {
        terminal: true,
      });

      expect(result.code).toBe(0);
      expect(result.stderr).toContain('export [');
      expect(result.stderr).toContain('9 bytes/?');
      expect(readFileSync(join(folder, 'bar.tar'), 'utf8')).toBe('tar bytes');
    });

    it('writes the archive to --output, and nothing when the server refuses', async () => {
      cli.server.reply('GET', '/api/v1/projects/p/export', {
        status: 200,
        raw: 'tar bytes',
        headers: { 'content-type': 'application/x-tar' },
      });
      const file = join(folder, 'p.tar');

      expect(await cli.run(['projects', 'export', 'p', '--output', file])).toEqual({
        code: 0,
        stdout: '',
        stderr: '',
      });
      expect(readFileSync(file, 'utf8')).toBe('tar bytes');

      const refused = await cli.run(['projects', 'export', 'missing', '--output', join(folder, 'none.tar')]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/no answer for GET \/api\/v1\/projects\/missing\/export/);
      expect(() => readFileSync(join(folder, 'none.tar'))).toThrow(/ENOENT/);
    });
  });
});
