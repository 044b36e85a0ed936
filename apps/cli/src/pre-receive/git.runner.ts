import { spawn } from 'node:child_process';

import { CliError } from '../cli.errors.js';

/** Where and how git runs: the hook's cwd (the bare repository) and its environment, passed through unchanged. */
export interface GitContext {
  readonly cwd: string;
  /**
   * The hook's environment. It must reach git as is: for pre-receive git sets GIT_DIR, GIT_QUARANTINE_PATH,
   * GIT_OBJECT_DIRECTORY and GIT_ALTERNATE_OBJECT_DIRECTORIES so that the pushed, not yet accepted objects are
   * visible.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface GitRunOptions {
  /** Written to git's standard input, which is then closed. */
  readonly input?: string;
  /** Exit codes that are answers rather than failures (`merge-base` exits 1 for "none"). */
  readonly okCodes?: readonly number[];
}

/** Runs `git <args>` and resolves to its standard output and exit code; any other exit code rejects. */
export function runGit(
  git: GitContext,
  args: readonly string[],
  options: GitRunOptions = {},
): Promise<{ stdout: Buffer; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...args], {
      cwd: git.cwd,
      env: git.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => reject(new CliError(`cannot run git: ${error.message}`)));
    // git may exit before reading all of its input (an early error); that EPIPE is reported through the exit code.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => {
      const exitCode = code ?? -1;
      if (exitCode === 0 || options.okCodes?.includes(exitCode)) {
        resolve({ stdout: Buffer.concat(out), code: exitCode });
        return;
      }
      const stderr = Buffer.concat(err).toString('utf8').trim();
      reject(new CliError(`git ${args.join(' ')} failed (exit ${exitCode})${stderr ? `: ${stderr}` : ''}`));
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The type and size of an object, or undefined when the repository does not have it. */
export interface ObjectInfo {
  /** The object's id: for `<id>^{commit}`, the commit it peels to. */
  id: string;
  type: string;
  size: number;
}

/**
 * Looks up many objects' type and size with one `git cat-file --batch-check`. Names may be any revision
 * expression (`<id>^{commit}`); the answer is keyed by the name as given.
 */
export async function readObjectInfo(
  git: GitContext,
  names: readonly string[],
): Promise<Map<string, ObjectInfo | undefined>> {
  const result = new Map<string, ObjectInfo | undefined>();
  if (names.length === 0) {
    return result;
  }
  // One answer line per question, in order: `<id> <type> <size>`, or `<name> missing`.
  const { stdout } = await runGit(
    git,
    ['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)'],
    {
      input: names.map((name) => `${name}\n`).join(''),
    },
  );
  const lines = stdout.toString('utf8').split('\n');
  names.forEach((name, i) => {
    const line = lines[i] ?? '';
    const match = /^([0-9a-f]+) (\w+) (\d+)$/.exec(line);
    result.set(
      name,
      match?.[1] && match[2] && match[3]
        ? { id: match[1], type: match[2], size: Number(match[3]) }
        : undefined,
    );
  });
  return result;
}

/**
 * Reads the content of many blobs with one `git cat-file --batch`, streaming git's answer rather than spawning a
 * process per blob. Meant for small blobs (LFS pointer candidates): the answers are collected in memory.
 */
export async function readBlobs(git: GitContext, ids: readonly string[]): Promise<Map<string, Buffer>> {
  const blobs = new Map<string, Buffer>();
  if (ids.length === 0) {
    return blobs;
  }
  const { stdout } = await runGit(git, ['cat-file', '--batch'], {
    input: ids.map((id) => `${id}\n`).join(''),
  });
  // Each answer is `<id> <type> <size>\n<content>\n`, or `<name> missing\n`.
  let offset = 0;
  while (offset < stdout.length) {
    const newline = stdout.indexOf(0x0a, offset);
    if (newline === -1) {
      break;
    }
    const header = stdout.subarray(offset, newline).toString('utf8');
    offset = newline + 1;
    const match = /^([0-9a-f]+) (\w+) (\d+)$/.exec(header);
    if (!match?.[1] || !match[3]) {
      continue;
    }
    const size = Number(match[3]);
    blobs.set(match[1], stdout.subarray(offset, offset + size));
    offset += size + 1;
  }
  return blobs;
}
