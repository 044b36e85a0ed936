import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, beforeEach } from '@jest/globals';

import { main } from '../src/main.js';
import { captureIo } from './captured-io.js';
import { FakeAdminServer } from './fake-admin.server.js';

/** The admin token the CLI sends unless a spec says otherwise. */
export const TOKEN = 'admin-secret';

/** A project as the admin API answers it. */
export const PROJECT = {
  id: 7,
  path: 'group/sub/name',
  visibility: 'private',
  quota_bytes: null,
  created_at: '2025-01-02T03:04:05.000Z',
};

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliHarness {
  /** The fake admin API, emptied of requests and canned answers before each test. */
  readonly server: FakeAdminServer;
  /**
   * Runs `lfs-depot <argv…>` against the fake server with TOKEN, from a folder holding no admin-token file (also
   * standing in for the checkout the CLI is installed in).
   */
  run(
    argv: string[],
    opts?: {
      env?: Record<string, string>;
      stdin?: string;
      cwd?: string;
      installDir?: string;
      /** Standard error is a terminal (progress bars are drawn on it). */
      terminal?: boolean;
    },
  ): Promise<CliResult>;
}

/** Starts a fake admin API for the describe block it is called in and returns how to run the CLI against it. */
export function useCliHarness(): CliHarness {
  let server: FakeAdminServer | undefined;
  let emptyDir = '';

  beforeAll(async () => {
    server = await FakeAdminServer.start();
    // A cwd without data/admin-token, so no test picks up a token file by accident.
    emptyDir = mkdtempSync(join(tmpdir(), 'lfs-depot-cli-'));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(emptyDir, { recursive: true, force: true });
  });
  beforeEach(() => server?.reset());

  const started = (): FakeAdminServer => {
    if (!server) {
      throw new Error('the fake admin server did not start');
    }
    return server;
  };

  return {
    get server() {
      return started();
    },
    async run(argv, opts = {}) {
      const captured = captureIo(opts.stdin, opts.terminal);
      const env = opts.env ?? { LFS_DEPOT_URL: started().url, LFS_DEPOT_TOKEN: TOKEN };
      // installDir too: the checkout running the tests may hold a real data/admin-token.
      const code = await main(argv, env, captured.io, {
        cwd: opts.cwd ?? emptyDir,
        installDir: opts.installDir ?? emptyDir,
      });
      return { code, stdout: captured.stdout(), stderr: captured.stderr() };
    },
  };
}
