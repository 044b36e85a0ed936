import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { adminClient } from '../helpers/api-harness.js';
import { createGitEnvironment, git, lfsUrl, randomObject } from '../helpers/git.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';

interface Account {
  username: string;
  password: string;
}

describe('git-lfs file locking against lfs-depot', () => {
  const project = 'studio/games/racer';
  const alice: Account = { username: 'alice', password: 'alice-password-123' };
  const bob: Account = { username: 'bob', password: 'bob-password-456' };
  const carol: Account = { username: 'carol', password: 'carol-password-789' };
  let stack: Stack;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let bare: string;
  const clones: Record<string, string> = {};

  /** `-c lfs.url=` with the user's credentials in it, so no credential helper or prompt is involved. */
  const as = (who: Account, ...args: string[]): string[] => [
    '-c',
    `lfs.url=${lfsUrl(stack.url, project, who)}`,
    ...args,
  ];
  const gitAs = (who: Account, ...args: string[]) =>
    git(clones[who.username] ?? home, env, ...as(who, ...args));

  /** The project's locks as the API sees them: path -> owner. */
  async function serverLocks(): Promise<Record<string, string>> {
    const rows = await stack.api.dataSource.query<{ path: string; username: string }[]>(
      `SELECT l.path, u.username FROM lfs_file_locks l
         JOIN users u ON u.id = l.user_id JOIN projects p ON p.id = l.project_id
        WHERE p.path = $1 ORDER BY l.id`,
      [project],
    );
    return Object.fromEntries(rows.map((row) => [row.path, row.username]));
  }

  async function lockId(file: string): Promise<string> {
    const rows = await stack.api.dataSource.query<{ id: string }[]>(
      `SELECT l.id FROM lfs_file_locks l JOIN projects p ON p.id = l.project_id WHERE p.path = $1 AND l.path = $2`,
      [project, file],
    );
    expect(rows).toHaveLength(1);
    return rows[0]?.id ?? '';
  }

  beforeAll(async () => {
    stack = await startStack();
    ({ home, env } = await createGitEnvironment());
    const admin = adminClient(stack.url);
    for (const who of [alice, bob, carol]) {
      expect((await admin.createUser(who.username, who.password)).status).toBe(201);
    }
    expect((await admin.createProject(project)).status).toBe(201);
    await admin.setMember(project, alice.username, 'write');
    await admin.setMember(project, bob.username, 'write');
    await admin.setMember(project, carol.username, 'maintainer');

    // Alice creates the repository; the others clone it from a bare remote on disk.
    const work = path.join(home, 'alice');
    clones.alice = work;
    await mkdir(path.join(work, 'art'), { recursive: true });
    await git(work, env, 'init', '-q');
    await git(work, env, 'lfs', 'track', '*.psd');
    await writeFile(path.join(work, '.lfsconfig'), `[lfs]\n\turl = ${lfsUrl(stack.url, project)}\n`);
    for (const file of ['art/hero.psd', 'art/level.psd', 'art/sky.psd']) {
      await writeFile(path.join(work, file), randomObject(2048).data);
    }
    await git(work, env, 'add', '.');
    await git(work, env, 'commit', '-q', '-m', 'Add art');
    bare = path.join(home, 'racer.git');
    await git(home, env, 'init', '-q', '--bare', bare);
    await git(work, env, 'remote', 'add', 'origin', bare);
    await gitAs(alice, 'push', '-q', '-u', 'origin', 'main');
    for (const who of [bob, carol]) {
      clones[who.username] = path.join(home, who.username);
      await git(home, env, ...as(who, 'clone', '-q', bare, clones[who.username]));
    }
  });

  afterAll(async () => {
    await stack?.close();
    if (home) {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('locks a file, refuses a second lock on it and lists it for everyone', async () => {
    const locked = await gitAs(alice, 'lfs', 'lock', 'art/hero.psd');
    expect(locked.stdout).toMatch(/Locked art\/hero\.psd/);
    expect(await serverLocks()).toEqual({ 'art/hero.psd': 'alice' });

    await expect(gitAs(bob, 'lfs', 'lock', 'art/hero.psd')).rejects.toThrow(/already locked by alice/);

    const id = await lockId('art/hero.psd');
    const listed = await gitAs(bob, 'lfs', 'locks');
    expect(listed.stdout).toMatch(new RegExp(`^art/hero\\.psd\\s+alice\\s+ID:${id}$`, 'm'));

    const byPath = await gitAs(bob, 'lfs', 'locks', '--path', 'art/hero.psd', '--json');
    expect(JSON.parse(byPath.stdout)).toEqual([
      { id, path: 'art/hero.psd', owner: { name: 'alice' }, locked_at: expect.any(String) },
    ]);
    const byId = await gitAs(bob, 'lfs', 'locks', '--id', id, '--json');
    expect(JSON.parse(byId.stdout)).toHaveLength(1);
  });

  it('marks the caller’s own locks with --verify', async () => {
    const forAlice = await gitAs(alice, 'lfs', 'locks', '--verify');
    expect(forAlice.stdout).toMatch(/^O art\/hero\.psd\s+alice\s+ID:\d+$/m);
    const forBob = await gitAs(bob, 'lfs', 'locks', '--verify');
    expect(forBob.stdout).toMatch(/^ {0,2}art\/hero\.psd\s+alice\s+ID:\d+$/m);
    expect(forBob.stdout).not.toMatch(/^O /m);
  });

  it("refuses to push a change to another user's locked file until it is unlocked", async () => {
    const bobClone = clones.bob;
    await writeFile(path.join(bobClone, 'art/hero.psd'), randomObject(4096).data);
    await git(bobClone, env, 'commit', '-q', '-am', 'Repaint the hero');

    // git-lfs asks POST locks/verify before uploading and stops at any file in "theirs".
    const refusal = await gitAs(bob, '-c', 'lfs.locksverify=true', 'push', 'origin', 'main').then(
      () => 'pushed',
      (error: unknown) => (error as Error).message,
    );
    expect(refusal).toMatch(/Unable to push locked files:\s*\n\* art\/hero\.psd - alice/);
    expect(refusal).toMatch(/Cannot update locked files/);
    expect((await git(bare, env, 'rev-parse', 'main')).stdout).toBe(
      (await git(clones.alice, env, 'rev-parse', 'main')).stdout,
    );

    const unlocked = await gitAs(alice, 'lfs', 'unlock', 'art/hero.psd');
    expect(unlocked.stdout).toMatch(/Unlocked art\/hero\.psd/);
    expect(await serverLocks()).toEqual({});

    await gitAs(bob, '-c', 'lfs.locksverify=true', 'push', '-q', 'origin', 'main');
    expect((await git(bare, env, 'rev-parse', 'main')).stdout).toBe(
      (await git(bobClone, env, 'rev-parse', 'main')).stdout,
    );
  });

  it('lets a maintainer force an unlock that a writer may not', async () => {
    await gitAs(alice, 'lfs', 'lock', 'art/level.psd');

    await expect(gitAs(bob, 'lfs', 'unlock', 'art/level.psd')).rejects.toThrow(/locked by alice/);
    await expect(gitAs(bob, 'lfs', 'unlock', '--force', 'art/level.psd')).rejects.toThrow(/maintainer role/);
    expect(await serverLocks()).toEqual({ 'art/level.psd': 'alice' });

    const forced = await gitAs(carol, 'lfs', 'unlock', '--force', 'art/level.psd');
    expect(forced.stdout).toMatch(/Unlocked art\/level\.psd/);
    expect(await serverLocks()).toEqual({});
  });

  it('unlocks by id', async () => {
    await gitAs(bob, 'lfs', 'lock', 'art/sky.psd');
    const id = await lockId('art/sky.psd');
    await expect(gitAs(alice, 'lfs', 'unlock', '--id', id)).rejects.toThrow(/locked by bob/);
    const unlocked = await gitAs(bob, 'lfs', 'unlock', '--id', id);
    expect(unlocked.stdout).toMatch(new RegExp(`Unlocked Lock ${id}`));
    expect(await serverLocks()).toEqual({});
  });

  it('lets the owner push changes to her own locked file', async () => {
    const aliceClone = clones.alice;
    await gitAs(alice, 'pull', '-q', '--ff-only', 'origin', 'main');
    await gitAs(alice, 'lfs', 'lock', 'art/sky.psd');
    await writeFile(path.join(aliceClone, 'art/sky.psd'), randomObject(1024).data);
    await git(aliceClone, env, 'commit', '-q', '-am', 'Darker sky');

    // The verify answer lists the lock as hers ("ours"), which does not stop the push.
    await gitAs(alice, '-c', 'lfs.locksverify=true', 'push', '-q', 'origin', 'main');
    expect((await git(bare, env, 'rev-parse', 'main')).stdout).toBe(
      (await git(aliceClone, env, 'rev-parse', 'main')).stdout,
    );
    expect(await serverLocks()).toEqual({ 'art/sky.psd': 'alice' });
  });
});
