import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatBasicAuthorization } from '@lfs-depot/auth';

import { adminClient, TEST_ADMIN_TOKEN } from '../helpers/api-harness.js';
import { createGitEnvironment, git, lfsUrl, randomObject } from '../helpers/git.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';

interface Account {
  username: string;
  password: string;
}

const LFS = 'application/vnd.git-lfs+json';
const root = process.cwd();

/** Single-quotes a value for /bin/sh. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

describe('pre-receive hook: LFS locks and objects enforced on push', () => {
  const project = 'games/engine';
  const alice: Account = { username: 'alice', password: 'alice-password-123' };
  const bob: Account = { username: 'bob', password: 'bob-password-456' };
  let stack: Stack;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let bare: string;
  const clones: Record<string, string> = {};

  /** Runs git in the user's clone, with their LFS credentials and as the pushing user the hook will see. */
  const gitAs = (who: Account, ...args: string[]) =>
    git(
      clones[who.username] ?? home,
      // A local push runs receive-pack, and so the hook, with the pusher's environment.
      { ...env, LFS_DEPOT_USER: who.username },
      '-c',
      `lfs.url=${lfsUrl(stack.url, project, who)}`,
      ...args,
    );

  /** Resolves to 'pushed', or to git's error output (which carries the hook's stderr as `remote:` lines). */
  const pushAs = (who: Account, ...args: string[]) =>
    gitAs(who, 'push', 'origin', 'main', ...args).then(
      () => 'pushed',
      (error: unknown) => (error as Error).message,
    );

  const serverMain = async () => (await git(bare, env, 'rev-parse', 'main')).stdout.trim();

  async function lfsLocksApi(who: Account, route: string, body: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${stack.url}/${project}.git/info/lfs/locks${route}`, {
      method: 'POST',
      headers: {
        accept: LFS,
        'content-type': LFS,
        authorization: formatBasicAuthorization(who.username, who.password),
      },
      body: JSON.stringify(body),
    });
    expect(response.status).toBeLessThan(300);
    return (await response.json()) as Record<string, unknown>;
  }

  async function writeAndCommit(who: Account, file: string, data: Buffer, message: string): Promise<void> {
    const clone = clones[who.username] ?? home;
    await writeFile(path.join(clone, file), data);
    await git(clone, env, 'add', file);
    await git(clone, env, 'commit', '-q', '-m', message);
  }

  beforeAll(async () => {
    stack = await startStack();
    ({ home, env } = await createGitEnvironment());
    const admin = adminClient(stack.url);
    for (const who of [alice, bob]) {
      expect((await admin.createUser(who.username, who.password)).status).toBe(201);
    }
    expect((await admin.createProject(project)).status).toBe(201);
    await admin.setMember(project, alice.username, 'write');
    await admin.setMember(project, bob.username, 'write');

    // The bare repository with the shipped hook, configured as a git server would: URL, service token, project.
    bare = path.join(home, 'engine.git');
    await git(home, env, 'init', '-q', '--bare', bare);
    const hook = path.join(bare, 'hooks', 'pre-receive');
    await writeFile(
      hook,
      [
        '#!/bin/sh',
        `LFS_DEPOT_URL=${shellQuote(stack.url)}`,
        `LFS_DEPOT_TOKEN=${shellQuote(TEST_ADMIN_TOKEN)}`,
        `LFS_DEPOT_PROJECT=${shellQuote(project)}`,
        'export LFS_DEPOT_URL LFS_DEPOT_TOKEN LFS_DEPOT_PROJECT',
        `exec ${shellQuote(path.join(root, 'bin', 'lfs-depot'))} pre-receive`,
        '',
      ].join('\n'),
    );
    await chmod(hook, 0o755);

    const work = path.join(home, 'alice');
    clones.alice = work;
    await mkdir(path.join(work, 'art'), { recursive: true });
    await git(work, env, 'init', '-q');
    await git(work, env, 'lfs', 'track', '*.psd');
    await writeFile(path.join(work, '.lfsconfig'), `[lfs]\n\turl = ${lfsUrl(stack.url, project)}\n`);
    await writeFile(path.join(work, 'art/hero.psd'), randomObject(2048).data);
    await writeFile(path.join(work, 'README.md'), 'engine\n');
    await git(work, env, 'add', '.');
    await git(work, env, 'commit', '-q', '-m', 'Add art');
    await git(work, env, 'remote', 'add', 'origin', bare);
    expect(await pushAs(alice, '-u')).toBe('pushed');
    clones.bob = path.join(home, 'bob');
    await git(home, env, '-c', `lfs.url=${lfsUrl(stack.url, project, bob)}`, 'clone', '-q', bare, clones.bob);
  });

  afterAll(async () => {
    await stack?.close();
    if (home) {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("refuses a push that changes another user's locked file, naming the path and the owner", async () => {
    const lock = await lfsLocksApi(alice, '', { path: 'art/hero.psd' });
    const before = await serverMain();

    await writeAndCommit(bob, 'art/hero.psd', randomObject(4096).data, 'Repaint the hero');
    const refusal = await pushAs(bob);

    expect(refusal).toMatch(/remote: lfs-depot: push refused/);
    expect(refusal).toMatch(/remote:\s+art\/hero\.psd\s+locked by alice/);
    expect(refusal).toContain(`lock ${String((lock.lock as { id: string }).id)}`);
    expect(refusal).toMatch(/pre-receive hook declined/);
    expect(await serverMain()).toBe(before);
  });

  it('accepts the same kind of change from the lock owner', async () => {
    await writeAndCommit(alice, 'art/hero.psd', randomObject(3000).data, 'Alice repaints the hero');
    expect(await pushAs(alice)).toBe('pushed');
    expect(await serverMain()).toBe((await git(clones.alice ?? '', env, 'rev-parse', 'main')).stdout.trim());
  });

  it("accepts the other user's change once the file is unlocked", async () => {
    const locks = await fetch(`${stack.url}/${project}.git/info/lfs/locks?path=art%2Fhero.psd`, {
      headers: { accept: LFS, authorization: formatBasicAuthorization(alice.username, alice.password) },
    });
    const [lock] = ((await locks.json()) as { locks: { id: string }[] }).locks;
    await lfsLocksApi(alice, `/${lock?.id ?? ''}/unlock`, {});

    // Bob starts again from Alice's version, as he would after being refused.
    await gitAs(bob, 'fetch', '-q', 'origin');
    await gitAs(bob, 'reset', '-q', '--hard', 'origin/main');
    await writeAndCommit(bob, 'art/hero.psd', randomObject(4096).data, 'Repaint the hero, again');
    expect(await pushAs(bob)).toBe('pushed');
  });

  it('refuses a pointer to an object that was never uploaded, naming its oid and path', async () => {
    const object = randomObject(5000);
    await writeAndCommit(bob, 'art/never-uploaded.psd', object.data, 'Add art without uploading it');
    const before = await serverMain();

    // --no-verify skips git-lfs's pre-push hook, which is what uploads objects.
    const refusal = await pushAs(bob, '--no-verify');

    expect(refusal).toMatch(/remote: lfs-depot: push refused/);
    expect(refusal).toContain(`${object.oid} (5000 bytes)  art/never-uploaded.psd`);
    expect(await serverMain()).toBe(before);

    // Uploading the objects first lets the same push through.
    await gitAs(bob, 'lfs', 'push', 'origin', 'main');
    expect(await pushAs(bob)).toBe('pushed');
  });

  it('lets git-lfs push with the credential from lfs-authenticate', async () => {
    const admin = adminClient(stack.url);
    const answer = await admin.call('POST', `/projects/${encodeURIComponent(project)}/lfs-authenticate`, {
      username: bob.username,
      operation: 'upload',
    });
    expect(answer.status).toBe(200);
    const href = answer.body?.href as string;
    const authorization = (answer.body?.header as { Authorization: string }).Authorization;
    expect(href).toBe(`${stack.url}/${project}.git/info/lfs`);

    const object = randomObject(6000);
    await writeAndCommit(bob, 'art/ssh.psd', object.data, 'Add art over "SSH"');
    const pushed = await git(
      clones.bob ?? '',
      { ...env, LFS_DEPOT_USER: bob.username },
      '-c',
      `lfs.url=${href}`,
      '-c',
      `http.${href}.extraHeader=Authorization: ${authorization}`,
      'push',
      'origin',
      'main',
    );
    expect(pushed.stderr).not.toMatch(/push refused/);

    const stored = await stack.api.dataSource.query<{ oid: string }[]>(
      `SELECT o.oid FROM lfs_objects o JOIN lfs_objects_projects l ON l.lfs_object_id = o.id
         JOIN projects p ON p.id = l.project_id WHERE p.path = $1 AND o.oid = $2`,
      [project, object.oid],
    );
    expect(stored).toHaveLength(1);
    expect(createHash('sha256').update(object.data).digest('hex')).toBe(object.oid);
    expect((await readFile(path.join(clones.bob ?? '', 'art/ssh.psd'))).equals(object.data)).toBe(true);
  });
});
