import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { sandboxGitEnvironment } from './sandbox.mjs';

export { git, lfsUrl, type GitResult } from './sandbox.mjs';

/** A sandboxed git environment in a new temp folder: tests never read or write the user's settings. */
export async function createGitEnvironment(): Promise<{ home: string; env: NodeJS.ProcessEnv }> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'lfs-depot-git-'));
  return { home, env: await sandboxGitEnvironment(home) };
}

/** Random bytes with their oid. */
export function randomObject(size: number): { data: Buffer; oid: string } {
  const data = randomBytes(size);
  return { data, oid: createHash('sha256').update(data).digest('hex') };
}
