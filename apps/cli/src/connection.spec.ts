import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { PROJECT, useCliHarness } from '../test/cli-harness.js';
import { CliError } from './cli.errors.js';
import { DEFAULT_URL, resolveConnection, TOKEN_NOT_SET } from './connection.js';
import { main } from './main.js';

describe(resolveConnection.name, () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'lfs-depot-connection-'));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  function writeToken(dir: string, content: string): void {
    mkdirSync(join(cwd, dir), { recursive: true });
    writeFileSync(join(cwd, dir, 'admin-token'), content);
  }

  it('returns the default URL and the token from the environment', () => {
    expect(resolveConnection({ env: { LFS_DEPOT_TOKEN: 't' }, cwd })).toEqual({
      baseUrl: DEFAULT_URL,
      token: 't',
    });
  });

  it('returns the URL without trailing slashes, keeping a path prefix', () => {
    const env = { LFS_DEPOT_URL: 'https://lfs.example.com/depot//', LFS_DEPOT_TOKEN: 't' };

    expect(resolveConnection({ env, cwd }).baseUrl).toBe('https://lfs.example.com/depot');
  });

  it('returns the flags over the environment', () => {
    const env = { LFS_DEPOT_URL: 'http://env:1', LFS_DEPOT_TOKEN: 'env' };

    expect(resolveConnection({ env, cwd, url: 'http://flag:2/', token: 'flag' })).toEqual({
      baseUrl: 'http://flag:2',
      token: 'flag',
    });
  });

  it('returns the trimmed token of ./data/admin-token when LFS_DEPOT_TOKEN is unset or empty', () => {
    writeToken('data', '  secret-from-file\n');

    expect(resolveConnection({ env: {}, cwd }).token).toBe('secret-from-file');
    expect(resolveConnection({ env: { LFS_DEPOT_TOKEN: '' }, cwd }).token).toBe('secret-from-file');
  });

  it('returns the token of $DATA_DIR/admin-token when DATA_DIR is set', () => {
    writeToken('elsewhere', 'dir-token');

    expect(resolveConnection({ env: { DATA_DIR: 'elsewhere' }, cwd }).token).toBe('dir-token');
  });

  it('rejects when no token is configured anywhere', () => {
    expect(() => resolveConnection({ env: {}, cwd })).toThrow(new CliError(TOKEN_NOT_SET));
  });

  it('rejects an empty token file', () => {
    writeToken('data', '\n');

    expect(() => resolveConnection({ env: {}, cwd })).toThrow(/admin-token is empty/);
  });

  it('rejects an empty --token with exit code 2', () => {
    expect.assertions(2);
    try {
      resolveConnection({ env: { LFS_DEPOT_TOKEN: 'env' }, cwd, token: ' ' });
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(2);
    }
  });

  it.each([
    ['not a url', "invalid server URL 'not a url' (from LFS_DEPOT_URL); expected e.g. http://127.0.0.1:8080"],
    ['ftp://host', "invalid server URL 'ftp://host' (from LFS_DEPOT_URL): only http and https are supported"],
  ])('rejects LFS_DEPOT_URL=%j', (url, message) => {
    expect(() => resolveConnection({ env: { LFS_DEPOT_URL: url, LFS_DEPOT_TOKEN: 't' }, cwd })).toThrow(
      message,
    );
  });
});

// The same resolution end to end: lfs-depot run through main() against a fake admin API.
describe(main.name, () => {
  const cli = useCliHarness();

  describe('configuration', () => {
    let cwd: string;
    beforeEach(() => {
      cwd = mkdtempSync(join(tmpdir(), 'lfs-depot-cli-cwd-'));
    });
    afterEach(() => rmSync(cwd, { recursive: true, force: true }));

    it('reads the token from ./data/admin-token relative to the working directory', async () => {
      mkdirSync(join(cwd, 'data'));
      writeFileSync(join(cwd, 'data', 'admin-token'), 'from-file\n', { mode: 0o600 });
      cli.server.reply('GET', '/api/v1/projects/p', { status: 200, body: PROJECT });

      const result = await cli.run(['projects', 'show', 'p'], {
        env: { LFS_DEPOT_URL: cli.server.url },
        cwd,
      });

      expect(result.code).toBe(0);
      expect(cli.server.requests[0]?.authorization).toBe('Bearer from-file');
    });

    it('lets --url and --token override the environment, before or after the command', async () => {
      cli.server.reply('GET', '/api/v1/projects/p', { status: 200, body: PROJECT });
      const env = { LFS_DEPOT_URL: 'http://127.0.0.1:1', LFS_DEPOT_TOKEN: 'from-env' };

      const after = await cli.run(
        ['projects', 'show', 'p', '--url', cli.server.url, '--token', 'from-flag'],
        {
          env,
        },
      );
      const before = await cli.run(
        ['--url', cli.server.url, '--token=from-global', 'projects', 'show', 'p'],
        {
          env,
        },
      );

      expect([after.code, before.code]).toEqual([0, 0]);
      expect(cli.server.requests.map((r) => r.authorization)).toEqual([
        'Bearer from-flag',
        'Bearer from-global',
      ]);
    });

    it('rejects a URL that is not http or https', async () => {
      const result = await cli.run(['stats', 'p', '--url', 'ftp://example.com', '--token', 't']);

      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        "lfs-depot: invalid server URL 'ftp://example.com' (from --url): only http and https are supported\n",
      );
    });
  });
});
