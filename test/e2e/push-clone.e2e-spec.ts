import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { adminClient } from '../helpers/api-harness.js';
import { createGitEnvironment, git, lfsUrl, randomObject } from '../helpers/git.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';

const MiB = 1024 * 1024;

describe('git-lfs push, clone, pull and fetch (local disk storage)', () => {
  let stack: Stack;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let admin: ReturnType<typeof adminClient>;
  const alice = { username: 'alice', password: 'alice-password-123' };
  const files = {
    'big.bin': randomObject(50 * MiB + 17),
    'small.bin': randomObject(1234),
    'assets/empty.bin': randomObject(0),
    'assets/medium.bin': randomObject(3 * MiB),
  };

  async function pushRepository(project: string, name: string): Promise<string> {
    const work = path.join(home, name);
    await mkdir(path.join(work, 'assets'), { recursive: true });
    await git(work, env, 'init', '-q');
    await git(work, env, 'lfs', 'track', '*.bin');
    await writeFile(path.join(work, '.lfsconfig'), `[lfs]\n\turl = ${lfsUrl(stack.url, project)}\n`);
    for (const [file, { data }] of Object.entries(files)) {
      await writeFile(path.join(work, file), data);
    }
    await git(work, env, 'add', '.');
    await git(work, env, 'commit', '-q', '-m', 'add files');
    const bare = path.join(home, `${name}.git`);
    await git(home, env, 'init', '-q', '--bare', bare);
    await git(work, env, 'remote', 'add', 'origin', bare);
    await git(
      work,
      env,
      '-c',
      `lfs.url=${lfsUrl(stack.url, project, alice)}`,
      'push',
      '-q',
      'origin',
      'main',
    );
    return bare;
  }

  beforeAll(async () => {
    stack = await startStack();
    ({ home, env } = await createGitEnvironment());
    admin = adminClient(stack.url);
    await admin.createUser(alice.username, alice.password);
    for (const [project, visibility] of [
      ['team/private-repo', 'private'],
      ['team/public-repo', 'public'],
      ['other/copy', 'private'],
    ] as const) {
      await admin.createProject(project, visibility);
      await admin.setMember(project, alice.username, 'write');
    }
  });

  afterAll(async () => {
    await stack.close();
    await rm(home, { recursive: true, force: true });
  });

  it('pushes every file and clones them back byte for byte', async () => {
    const bare = await pushRepository('team/private-repo', 'private');
    const clone = path.join(home, 'private-clone');
    await git(
      home,
      env,
      '-c',
      `lfs.url=${lfsUrl(stack.url, 'team/private-repo', alice)}`,
      'clone',
      '-q',
      bare,
      clone,
    );
    for (const [file, { data }] of Object.entries(files)) {
      expect((await readFile(path.join(clone, file))).equals(data)).toBe(true);
    }
    const fsck = await git(
      clone,
      env,
      '-c',
      `lfs.url=${lfsUrl(stack.url, 'team/private-repo', alice)}`,
      'lfs',
      'fsck',
    );
    expect(fsck.stdout).toContain('Git LFS fsck OK');

    // git-lfs leaves empty files as they are (no pointer, no object), so three of the four files are objects.
    const statistics = await admin.statistics('team/private-repo');
    expect(statistics.body).toEqual({
      lfs_objects_count: 3,
      lfs_objects_size: Object.values(files).reduce((sum, { data }) => sum + data.length, 0),
      quota_bytes: null,
    });
  });

  it('fetches and pulls into a clone made without smudging', async () => {
    const bare = path.join(home, 'private.git');
    const clone = path.join(home, 'skip-smudge-clone');
    const skipEnv = { ...env, GIT_LFS_SKIP_SMUDGE: '1' };
    await git(home, skipEnv, 'clone', '-q', bare, clone);
    expect(
      (await readFile(path.join(clone, 'small.bin'), 'utf8')).startsWith('version https://git-lfs'),
    ).toBe(true);

    const withCredentials = ['-c', `lfs.url=${lfsUrl(stack.url, 'team/private-repo', alice)}`];
    await git(clone, env, ...withCredentials, 'lfs', 'fetch', 'origin', 'main');
    await git(clone, env, ...withCredentials, 'lfs', 'pull');
    expect((await readFile(path.join(clone, 'small.bin'))).equals(files['small.bin'].data)).toBe(true);
    expect((await readFile(path.join(clone, 'big.bin'))).equals(files['big.bin'].data)).toBe(true);
  });

  it('lets anyone clone a public project anonymously', async () => {
    const bare = await pushRepository('team/public-repo', 'public');
    const clone = path.join(home, 'public-clone');
    await git(home, env, 'clone', '-q', bare, clone);
    expect(
      (await readFile(path.join(clone, 'assets/medium.bin'))).equals(files['assets/medium.bin'].data),
    ).toBe(true);
  });

  it('refuses to clone a private project without or with wrong credentials', async () => {
    const bare = path.join(home, 'private.git');
    await expect(git(home, env, 'clone', '-q', bare, path.join(home, 'anonymous-clone'))).rejects.toThrow(
      /smudge filter lfs failed|Authentication required|credentials/i,
    );
    const wrong = { username: 'alice', password: 'not-her-password' };
    await expect(
      git(
        home,
        env,
        '-c',
        `lfs.url=${lfsUrl(stack.url, 'team/private-repo', wrong)}`,
        'clone',
        '-q',
        bare,
        path.join(home, 'wrong-clone'),
      ),
    ).rejects.toThrow(/smudge filter lfs failed|Authentication required|credentials/i);
  });

  it('stores a file pushed to a second project once and counts it in both', async () => {
    await pushRepository('other/copy', 'copy');
    const rows = await stack.api.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM lfs_objects`,
    );
    expect(rows[0]?.n).toBe(3);
    const links = await stack.api.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM lfs_objects_projects`,
    );
    expect(links[0]?.n).toBe(9);
    const copy = await admin.statistics('other/copy');
    const original = await admin.statistics('team/private-repo');
    expect(copy.body).toEqual(original.body);
  });
});
