import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface GitResult {
  stdout: string;
  stderr: string;
}

/** A sandboxed git environment: its own HOME and config, so tests never read or write the user's settings. */
export async function createGitEnvironment(): Promise<{ home: string; env: NodeJS.ProcessEnv }> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'lfs-depot-git-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    LANG: 'C',
  };
  await writeFile(
    path.join(home, '.gitconfig'),
    [
      '[init]',
      '\tdefaultBranch = main',
      '[filter "lfs"]',
      '\tclean = git-lfs clean -- %f',
      '\tsmudge = git-lfs smudge -- %f',
      '\tprocess = git-lfs filter-process',
      '\trequired = true',
      '[lfs]',
      '\tlocksverify = false',
      '[credential]',
      '\thelper = ',
      '',
    ].join('\n'),
  );
  return { home, env };
}

/** Runs git in `cwd`, rejecting with its output when it fails. */
export async function git(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<GitResult> {
  try {
    return await execFileAsync('git', args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `git ${args.join(' ')} failed: ${failed.message}\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`,
      {
        cause: error,
      },
    );
  }
}

/** Random bytes with their oid. */
export function randomObject(size: number): { data: Buffer; oid: string } {
  const data = randomBytes(size);
  return { data, oid: createHash('sha256').update(data).digest('hex') };
}

/** An LFS URL with credentials embedded, as git-lfs accepts in lfs.url. */
export function lfsUrl(
  baseUrl: string,
  project: string,
  credentials?: { username: string; password: string },
): string {
  const url = new URL(`${baseUrl}/${project}.git/info/lfs`);
  if (credentials) {
    url.username = encodeURIComponent(credentials.username);
    url.password = encodeURIComponent(credentials.password);
  }
  return url.toString();
}
