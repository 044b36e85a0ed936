import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

import { CliError } from '../cli.errors.js';
import type { LfsPointer } from '../pre-receive/lfs-pointer.js';
import { MAX_POINTER_SIZE, parseLfsPointer } from '../pre-receive/lfs-pointer.js';

/** Where git runs: the repository (bare or working) and the environment, passed through. */
export interface GitSource {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Smallest blob that can be a pointer (`version …\noid sha256:<64>\nsize 0\n`): smaller ones are not read. */
const MIN_POINTER_SIZE = 100;

function startGit(source: GitSource, args: string[]): ChildProcessWithoutNullStreams {
  const child = spawn('git', args, { cwd: source.cwd, env: source.env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => undefined);
  return child;
}

/** Resolves when the process exits 0; rejects with its stderr otherwise. */
function exited(child: ChildProcessWithoutNullStreams, what: string): Promise<void> {
  const err: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve, reject) => {
    child.on('error', (error) => reject(new CliError(`cannot run git: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) {
        resolve();
      } else {
        const stderr = Buffer.concat(err).toString('utf8').trim();
        reject(new CliError(`git ${what} failed (exit ${code ?? -1})${stderr ? `: ${stderr}` : ''}`));
      }
    });
  });
}

/** Writes a line to a child's stdin, waiting while its pipe is full (so memory stays bounded). */
async function writeLine(child: ChildProcessWithoutNullStreams, line: string): Promise<void> {
  if (!child.stdin.write(line)) {
    await new Promise<void>((resolve) => child.stdin.once('drain', resolve));
  }
}

/**
 * Every Git LFS pointer reachable from any ref of the repository (all branches, tags and other refs, every commit),
 * without a checkout and in bounded memory: `git rev-list --all --objects` (blobs over 1 KiB filtered out by git
 * itself) feeds `git cat-file --batch-check`, whose small blobs feed `git cat-file --batch`, whose answers are
 * parsed as pointers as they stream. A blob id is listed once, so each distinct pointer comes once.
 */
export async function* reachablePointers(source: GitSource): AsyncGenerator<LfsPointer> {
  const revList = startGit(source, [
    'rev-list',
    '--all',
    '--objects',
    '--no-object-names',
    `--filter=blob:limit=${MAX_POINTER_SIZE + 1}`,
  ]);
  const check = startGit(source, ['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)']);
  const batch = startGit(source, ['cat-file', '--batch']);
  const done = Promise.all([
    exited(revList, 'rev-list --all --objects'),
    exited(check, 'cat-file --batch-check'),
    exited(batch, 'cat-file --batch'),
  ]);
  done.catch(() => undefined);
  revList.stdout.pipe(check.stdin);
  // Small blobs go on to cat-file --batch while its answers are read below: both run at once.
  const feeding = (async () => {
    for await (const line of createInterface({ input: check.stdout, crlfDelay: Infinity })) {
      const match = /^([0-9a-f]+) blob (\d+)$/.exec(line);
      const size = Number(match?.[2]);
      if (match?.[1] && size >= MIN_POINTER_SIZE && size <= MAX_POINTER_SIZE) {
        await writeLine(batch, `${match[1]}\n`);
      }
    }
    batch.stdin.end();
  })();
  feeding.catch(() => undefined);

  // Answers are `<id> blob <size>\n<content>\n`.
  let buffer: Buffer = Buffer.alloc(0);
  let wanted: number | undefined;
  for await (const chunk of batch.stdout as AsyncIterable<Buffer>) {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      if (wanted === undefined) {
        const newline = buffer.indexOf(0x0a);
        if (newline === -1) {
          break;
        }
        const header = /^[0-9a-f]+ \w+ (\d+)$/.exec(buffer.subarray(0, newline).toString('utf8'));
        buffer = buffer.subarray(newline + 1);
        if (!header?.[1]) {
          continue;
        }
        wanted = Number(header[1]);
      }
      if (buffer.length < wanted + 1) {
        break;
      }
      const pointer = parseLfsPointer(buffer.subarray(0, wanted));
      buffer = buffer.subarray(wanted + 1);
      wanted = undefined;
      if (pointer) {
        yield pointer;
      }
    }
  }
  await feeding;
  await done;
}
