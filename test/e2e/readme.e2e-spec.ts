import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { adminClient, TEST_ADMIN_TOKEN } from '../helpers/api-harness.js';
import { createGitEnvironment, git, randomObject } from '../helpers/git.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';

const execFileAsync = promisify(execFile);
const root = process.cwd();

/** The README sections whose every shell block this spec runs, each marked `<!-- readme-test: NAME -->`. */
const SECTIONS = ['Use it with git', 'Command line', 'Lock enforcement on push (pre-receive hook)'];

interface Block {
  section: string;
  name: string | undefined;
  script: string;
}

/** Every fenced block of the SECTIONS, with the name of the marker comment just before it (if any). */
function readmeBlocks(readme: string): { shell: Block[]; output: string[] } {
  const shell: Block[] = [];
  const output: string[] = [];
  let section = '';
  const pattern = /^## (.+)$|(?:<!-- readme-test: ([\w-]+) -->\n\n)?^```(\w*)\n([\s\S]*?)^```$/gm;
  for (const match of readme.matchAll(pattern)) {
    const [, heading, name, language, body = ''] = match;
    if (heading !== undefined) {
      section = heading;
    } else if (SECTIONS.includes(section)) {
      if (language === 'sh') {
        shell.push({ section, name, script: body });
      } else if (language === '') {
        output.push(body);
      }
    }
  }
  return { shell, output };
}

/** Runs a README block with /bin/sh -e in `cwd`; resolves to its stdout, rejects with its output in the message. */
async function run(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    return (await execFileAsync('/bin/sh', ['-e', '-c', script], { cwd, env })).stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `README block failed: ${(error as Error).message}\n--- script\n${script}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
      { cause: error },
    );
  }
}

describe('README: its git, command line and pre-receive blocks, run as written against a fresh server', () => {
  let readme: { shell: Block[]; output: string[] };
  const blocks = new Map<string, string>();
  let stack: Stack;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let askpass: string;

  /**
   * The README's literal places, and what stands for them here: the server's default address is a test server's,
   * the hook's repository folder and lfs-depot checkout are this sandbox's and this checkout.
   */
  const localized = (script: string, url: string) =>
    script
      .replaceAll('http://127.0.0.1:8080', url)
      .replaceAll('/srv/git/', `${work}/srv/git/`)
      .replaceAll('/opt/lfs-depot/', `${root}/`);

  /** The environment of a person at the terminal: the checkout's bin on PATH, the server's URL, git's password prompt. */
  const shellEnv = (url: string, user?: { username: string; password: string }) => ({
    ...env,
    PATH: `${path.join(root, 'bin')}:${env.PATH ?? ''}`,
    LFS_DEPOT_URL: url,
    GIT_ASKPASS: askpass,
    README_TEST_USERNAME: user?.username ?? '',
    README_TEST_PASSWORD: user?.password ?? '',
  });

  const block = (name: string): string => {
    const script = blocks.get(name);
    if (script === undefined) {
      throw new Error(`README has no block marked <!-- readme-test: ${name} -->`);
    }
    return script;
  };

  beforeAll(async () => {
    readme = readmeBlocks(await readFile(path.join(root, 'README.md'), 'utf8'));
    for (const { name, script } of readme.shell) {
      if (name !== undefined) {
        blocks.set(name, script);
      }
    }
    stack = await startStack();
    ({ home: work, env } = await createGitEnvironment());
    // Run from a folder shaped like the checkout: bin/lfs-depot, and the admin token where the server writes it.
    await symlink(path.join(root, 'bin'), path.join(work, 'bin'));
    await mkdir(path.join(work, 'data'), { mode: 0o700 });
    await writeFile(path.join(work, 'data', 'admin-token'), `${TEST_ADMIN_TOKEN}\n`, { mode: 0o600 });
    // git's password prompt, answered as the person would (git-lfs asks through git credential).
    askpass = path.join(work, 'askpass');
    await writeFile(
      askpass,
      '#!/bin/sh\ncase "$1" in\n  Username*) printf \'%s\\n\' "$README_TEST_USERNAME" ;;\n  *) printf \'%s\\n\' "$README_TEST_PASSWORD" ;;\nesac\n',
    );
    await chmod(askpass, 0o755);
  });

  afterAll(async () => {
    await stack?.close();
    if (work) {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('marks every shell block of those sections, each with its own name', () => {
    const names = readme.shell.map(({ section, name }) => `${section}: ${name ?? '(unmarked)'}`);

    expect(names).toEqual([
      'Use it with git: users',
      'Use it with git: git',
      'Command line: cli',
      'Lock enforcement on push (pre-receive hook): pre-receive',
    ]);
  });

  it('creates the user and project, installs the hook, pushes, clones, locks, and refuses a push over the lock', async () => {
    const users = block('users');
    const alice = { username: 'alice', password: /--password '([^']+)'/.exec(users)?.[1] ?? '' };
    expect(alice.password).not.toBe('');
    const bob = { username: 'bob', password: 'bob-password-4711' };
    const project = 'games/engine';
    const bare = path.join(work, 'srv', 'git', 'engine.git');

    // The repository as a git server holds it, and a working copy of it with the file to track.
    await mkdir(path.dirname(bare), { recursive: true });
    await git(work, env, 'init', '-q', '--bare', bare);
    await git(work, env, 'clone', '-q', bare, path.join(work, 'engine'));
    const art = randomObject(300_000);
    await writeFile(path.join(work, 'engine', 'art.psd'), art.data);

    await run(localized(users, stack.url), work, shellEnv(stack.url));
    await run(localized(block('pre-receive'), stack.url), work, shellEnv(stack.url));
    // A push reaches the hook with the pusher's name, as the SSH or HTTP server sets it (see the hook's section).
    await run(localized(block('git'), stack.url), work, {
      ...shellEnv(stack.url, alice),
      LFS_DEPOT_USER: alice.username,
    });

    const admin = adminClient(stack.url);
    expect((await admin.statistics(project)).body).toMatchObject({
      lfs_objects_count: 1,
      lfs_objects_size: art.data.length,
    });
    expect((await admin.createUser(bob.username, bob.password)).status).toBe(201);
    expect((await admin.setMember(project, bob.username, 'write')).status).toBe(200);

    // Bob clones (the .lfsconfig alice committed points git-lfs at the project) and gets the bytes.
    const bobClone = path.join(work, 'bob');
    await git(work, shellEnv(stack.url, bob), 'clone', '-q', bare, bobClone);
    expect(await readFile(path.join(bobClone, 'art.psd'))).toEqual(art.data);

    // Alice locks the file; bob's push of a change to it is refused by the README's hook, as the README shows.
    await git(path.join(work, 'engine'), shellEnv(stack.url, alice), 'lfs', 'lock', 'art.psd');
    await writeFile(path.join(bobClone, 'art.psd'), randomObject(1000).data);
    await git(bobClone, env, 'commit', '-q', '-am', 'Repaint');
    const refusalOutput = await git(
      bobClone,
      { ...shellEnv(stack.url, bob), LFS_DEPOT_USER: bob.username },
      'push',
      'origin',
      'main',
    ).then(
      () => 'pushed',
      (error: unknown) => (error as Error).message,
    );

    // git pads each `remote:` line with spaces; the README shows them without.
    const refusal = refusalOutput
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n');
    const example = readme.output.find((text) => text.includes('push refused')) ?? '';
    const [refused, blank, lockedHeading, lockedLine] = example.split('\n');
    expect(refusal).toContain(`${refused ?? '(none)'}\n${blank ?? ''}\n${lockedHeading ?? ''}\n`);
    // The example's line with this push's path, owner and branch: `remote:   PATH  locked by OWNER (on REF, lock N, since TIME)`.
    expect(lockedLine).toMatch(
      /^remote: {3}\S+ {2}locked by \w+ \(on refs\/heads\/\w+, lock \d+, since \S+\)$/,
    );
    expect(refusal).toMatch(
      /remote: {3}art\.psd {2}locked by alice \(on refs\/heads\/main, lock \d+, since \S+Z\)/,
    );
    expect((await git(bare, env, 'rev-parse', 'main')).stdout).toBe(
      (await git(path.join(work, 'engine'), env, 'rev-parse', 'main')).stdout,
    );
  });

  it('runs the command line tour on a server of its own', async () => {
    const own = await startStack();
    try {
      const stdout = await run(localized(block('cli'), own.url), work, {
        ...shellEnv(own.url),
        LFS_DEPOT_TOKEN: TEST_ADMIN_TOKEN,
        PASSWORD: 'root-password-0815',
      });

      // Every command succeeded (sh -e), and the ones that print did.
      expect(stdout).toContain('games/engine');
    } finally {
      await own.close();
    }
  });
});
