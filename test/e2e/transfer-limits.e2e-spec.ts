import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterEach, describe, expect, it } from '@jest/globals';
import type { ProxyConfig } from '@lfs-depot/config';
import { createLogger } from '@lfs-depot/observability';
import { logCapture } from '@lfs-depot/testing';

import { adminClient } from '../helpers/api-harness.js';
import { createGitEnvironment, git, lfsUrl, randomObject } from '../helpers/git.js';
import { startStack, type Stack } from '../helpers/stack.js';

const MiB = 1024 * 1024;

// The real git-lfs client against a proxy whose transfer limits allow a single upload or download at a time: its
// eight concurrent transfers are refused with 429 or 503 and Retry-After, and it must still push and clone everything.
describe('transfer limits with the git-lfs client', () => {
  let stack: Stack | undefined;
  let home: string | undefined;
  const alice = { username: 'alice', password: 'alice-password-123' };
  const project = 'team/limited';
  const files = Object.fromEntries(
    Array.from({ length: 6 }, (_, n) => [`file-${n}.bin`, randomObject(2 * MiB + n)] as const),
  );
  // Every object may be refused while each of the others takes its turn; git-lfs's default of 8 retries could run out.
  const retries = ['-c', 'lfs.transfer.maxretries=50', '-c', 'lfs.concurrenttransfers=8'];

  afterEach(async () => {
    await stack?.close();
    if (home) {
      await rm(home, { recursive: true, force: true });
    }
  });

  /** Pushes the files and clones them back through a proxy with `limits`; the proxy's refusals, by reason. */
  async function pushAndClone(limits: Partial<ProxyConfig>): Promise<Record<string, number>> {
    const proxyLog = logCapture();
    stack = await startStack(
      {},
      {
        proxyLimits: limits,
        loggers: {
          api: createLogger({ app: 'api', level: 'warn', format: 'json', destination: logCapture() }),
          proxy: createLogger({ app: 'proxy', level: 'info', format: 'json', destination: proxyLog }),
        },
      },
    );
    const created = await createGitEnvironment();
    home = created.home;
    const { env } = created;
    const admin = adminClient(stack.url);
    await admin.createUser(alice.username, alice.password);
    await admin.createProject(project, 'private');
    await admin.setMember(project, alice.username, 'write');

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
    const refusals: Record<string, number> = {};
    for (const line of proxyLog.parsed()) {
      if (line.outcome === 'denied' && typeof line.reason === 'string') {
        refusals[line.reason] = (refusals[line.reason] ?? 0) + 1;
      }
    }
    return refusals;
  }

  // Six 2 MiB transfers started together by eight workers overlap: the limits were met, not just configured.
  it('pushes and clones every object through one upload and one download per user (429 TOO_MANY_…)', async () => {
    const refusals = await pushAndClone({ maxUploadsPerUser: 1, maxDownloadsPerUser: 1 });

    expect(refusals['the user has MAX_UPLOADS_PER_USER uploads in progress']).toBeGreaterThan(0);
    expect(refusals['the user has MAX_DOWNLOADS_PER_USER downloads in progress']).toBeGreaterThan(0);
  });

  it('clones every object through one download at a time on the whole proxy (503 SERVICE_UNAVAILABLE)', async () => {
    const refusals = await pushAndClone({ maxDownloadsInFlight: 1 });

    expect(refusals['the proxy has MAX_DOWNLOADS_IN_FLIGHT downloads in progress']).toBeGreaterThan(0);
  });
});
