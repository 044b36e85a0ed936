import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@lfs-depot/observability';
import { logCapture } from '@lfs-depot/testing';

import { adminClient } from '../helpers/api-harness.js';
import { createGitEnvironment, git, lfsUrl, randomObject } from '../helpers/git.js';
import { startStack, type Stack } from '../helpers/stack.js';

const MiB = 1024 * 1024;

// The real git-lfs client against a proxy that lets one user have a single upload and a single download in progress:
// its eight concurrent transfers are refused with 429 and Retry-After, and it must still push and clone everything.
describe('MAX_UPLOADS_PER_USER and MAX_DOWNLOADS_PER_USER with the git-lfs client', () => {
  let stack: Stack;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const proxyLog = logCapture();
  const alice = { username: 'alice', password: 'alice-password-123' };
  const project = 'team/limited';
  const files = Object.fromEntries(
    Array.from({ length: 6 }, (_, n) => [`file-${n}.bin`, randomObject(2 * MiB + n)] as const),
  );
  // Every object may be refused while each of the others takes its turn; git-lfs's default of 8 retries could run out.
  const retries = ['-c', 'lfs.transfer.maxretries=50', '-c', 'lfs.concurrenttransfers=8'];

  function refusals(direction: 'upload' | 'download'): number {
    return proxyLog
      .parsed()
      .filter((line) => line.transfer === direction && line.outcome === 'denied')
      .filter((line) => String(line.reason).includes(`MAX_${direction.toUpperCase()}S_PER_USER`)).length;
  }

  beforeAll(async () => {
    stack = await startStack(
      {},
      {
        proxyLimits: { maxUploadsPerUser: 1, maxDownloadsPerUser: 1 },
        loggers: {
          api: createLogger({ app: 'api', level: 'warn', format: 'json', destination: logCapture() }),
          proxy: createLogger({ app: 'proxy', level: 'info', format: 'json', destination: proxyLog }),
        },
      },
    );
    ({ home, env } = await createGitEnvironment());
    const admin = adminClient(stack.url);
    await admin.createUser(alice.username, alice.password);
    await admin.createProject(project, 'private');
    await admin.setMember(project, alice.username, 'write');
  });

  afterAll(async () => {
    await stack.close();
    await rm(home, { recursive: true, force: true });
  });

  it('pushes and clones every object, retrying the transfers refused with 429', async () => {
    const work = path.join(home, 'work');
    await mkdir(work, { recursive: true });
    await git(work, env, 'init', '-q');
    await git(work, env, 'lfs', 'track', '*.bin');
    for (const [file, { data }] of Object.entries(files)) {
      await writeFile(path.join(work, file), data);
    }
    await git(work, env, 'add', '.');
    await git(work, env, 'commit', '-q', '-m', 'add files');
    const bare = path.join(home, 'limited.git');
    await git(home, env, 'init', '-q', '--bare', bare);
    await git(work, env, 'remote', 'add', 'origin', bare);
    const url = ['-c', `lfs.url=${lfsUrl(stack.url, project, alice)}`];

    await git(work, env, ...url, ...retries, 'push', '-q', 'origin', 'main');
    const clone = path.join(home, 'clone');
    await git(home, env, ...url, ...retries, 'clone', '-q', bare, clone);

    for (const [file, { data }] of Object.entries(files)) {
      expect((await readFile(path.join(clone, file))).equals(data)).toBe(true);
    }
    // Six 2 MiB transfers started together by eight workers overlap: the limits were met, not just configured.
    expect(refusals('upload')).toBeGreaterThan(0);
    expect(refusals('download')).toBeGreaterThan(0);
  });
});
