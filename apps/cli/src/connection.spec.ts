import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { PROJECT, useCliHarness } from '../test/cli-harness.js';
import { CliError } from './cli.errors.js';
import { DEFAULT_URL, resolveConnection } from './connection.js';
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
      tokenSource: 'LFS_DEPOT_TOKEN',
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
      tokenSource: '--token',
    });
  });

  it('returns the trimmed token of ./data/admin-token when LFS_DEPOT_TOKEN is unset or empty', () => {
    writeToken('data', '  secret-from-file\n');

    expect(resolveConnection({ env: {}, cwd }).token).toBe('secret-from-file');
    expect(resolveConnection({ env: { LFS_DEPOT_TOKEN: '' }, cwd }).token).toBe('secret-from-file');
  });

  it('returns the token of $DATA_DIR/admin-token when DATA_DIR is set, resolved against the working directory', () => {
    writeToken('elsewhere', 'dir-token');
    writeToken('data', 'cwd-token');

    expect(resolveConnection({ env: { DATA_DIR: 'elsewhere' }, cwd })).toMatchObject({
      token: 'dir-token',
      tokenSource: join(cwd, 'elsewhere', 'admin-token'),
    });
  });

  it('returns the token of --data-dir over DATA_DIR and ./data', () => {
    writeToken('flag', 'flag-token');
    writeToken('env', 'env-token');
    writeToken('data', 'cwd-token');

    expect(resolveConnection({ env: { DATA_DIR: 'env' }, cwd, dataDir: 'flag' }).token).toBe('flag-token');
  });

  it("returns the token of the checkout's data/ from any other folder", () => {
    writeToken('checkout/data', 'checkout-token');

    expect(
      resolveConnection({ env: {}, cwd: join(cwd, 'somewhere'), installDir: join(cwd, 'checkout') }),
    ).toMatchObject({ token: 'checkout-token', tokenSource: join(cwd, 'checkout', 'data', 'admin-token') });
  });

  it('falls back from a DATA_DIR without a token file to ./data and then the checkout', () => {
    writeToken('checkout/data', 'checkout-token');

    expect(
      resolveConnection({ env: { DATA_DIR: 'nothing-here' }, cwd, installDir: join(cwd, 'checkout') }).token,
    ).toBe('checkout-token');
  });

  it('rejects when no token is configured anywhere, naming every file it tried once', () => {
    const checkout = join(cwd, 'checkout');

    expect(() =>
      resolveConnection({ env: { DATA_DIR: '/srv/lfs' }, cwd: checkout, installDir: checkout }),
    ).toThrow(
      new CliError(
        [
          'no admin token: LFS_DEPOT_TOKEN is not set and none of these files exists:',
          '  /srv/lfs/admin-token (DATA_DIR)',
          `  ${join(checkout, 'data', 'admin-token')} (the current folder)`,
          "Pass --token, set LFS_DEPOT_TOKEN, or give --data-dir the server's DATA_DIR " +
            '(the server prints where its admin token is when it generates one).',
        ].join('\n'),
      ),
    );
  });

  it('rejects a --data-dir without a token file, without looking elsewhere', () => {
    writeToken('data', 'cwd-token');

    expect(() => resolveConnection({ env: {}, cwd, dataDir: 'nope' })).toThrow(
      `  ${join(cwd, 'nope', 'admin-token')} (--data-dir)\n`,
    );
  });

  it('rejects an empty token file', () => {
    writeToken('data', '\n');

    expect(() => resolveConnection({ env: {}, cwd })).toThrow(
      new CliError(`the admin token file ${join(cwd, 'data', 'admin-token')} is empty`),
    );
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
