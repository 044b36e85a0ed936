import { Readable } from 'node:stream';

import { main } from '../../apps/cli/src/main.js';
import { TEST_ADMIN_TOKEN } from './api-harness.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `lfs-depot` in this process against the server at `url` with the admin token (the tests' own unless `token`),
 * an empty stdin and the caller's PATH; resolves to its exit code and what it printed.
 */
export async function runCli(
  url: string,
  args: string[],
  { token = TEST_ADMIN_TOKEN, home = process.env.HOME }: { token?: string; home?: string } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(
    [...args, '--url', url, '--token', token],
    { PATH: process.env.PATH, HOME: home },
    {
      stdout: { write: (chunk: string) => (stdout += chunk) },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      stdin: Readable.from([]),
    },
  );
  return { code, stdout, stderr };
}
