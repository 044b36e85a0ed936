import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';

import { captureIo } from '../../test/captured-io.js';
import { closedPortUrl, FakeAdminServer } from '../../test/fake-admin.server.js';
import { GitFixture, lfsPointer, NULL_ID } from '../../test/git-fixture.js';
import { main } from '../main.js';

const TOKEN = 'service-token';
const ROUTE = `/api/v1/projects/${encodeURIComponent('games/engine')}/push-check`;
const ALLOWED = { allowed: true, locked: [], missing: [], damaged: [] };

describe('lfs-depot pre-receive', () => {
  let server: FakeAdminServer;
  let repo: GitFixture;

  beforeAll(async () => {
    server = await FakeAdminServer.start();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(async () => {
    server.reset();
    repo = await GitFixture.create();
  });
  afterEach(async () => {
    await repo.remove();
  });

  async function hook(stdin: string, env: Record<string, string> = {}) {
    const captured = captureIo(stdin);
    const code = await main(
      ['pre-receive'],
      {
        ...repo.env,
        LFS_DEPOT_URL: server.url,
        LFS_DEPOT_TOKEN: TOKEN,
        LFS_DEPOT_PROJECT: 'games/engine',
        LFS_DEPOT_USER: 'bob',
        ...env,
      },
      captured.io,
      { cwd: repo.bare },
    );
    return { code, stdout: captured.stdout(), stderr: captured.stderr() };
  }

  /** A pushed branch adding a locked file and an LFS pointer; returns the hook's stdin line. */
  async function pushedBranch(): Promise<{ line: string; pointer: ReturnType<typeof lfsPointer> }> {
    const pointer = lfsPointer('hero artwork');
    const tip = await repo.commit({ 'art/hero.psd': pointer.text, 'README.md': 'hi\n' });
    await repo.receive('main');
    return { line: `${NULL_ID} ${tip} refs/heads/main\n`, pointer };
  }

  it('asks the server about the changed paths and added pointers, and accepts when it allows', async () => {
    const { line, pointer } = await pushedBranch();
    server.reply('POST', ROUTE, { status: 200, body: ALLOWED });

    const result = await hook(line);

    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(server.requests).toHaveLength(1);
    const request = server.requests[0];
    expect(request?.authorization).toBe(`Bearer ${TOKEN}`);
    const body = request?.body as { username: string; changes: { ref: string; paths: string[] }[] };
    expect(body.username).toBe('bob');
    expect(body.changes).toHaveLength(1);
    expect(body.changes[0]?.ref).toBe('refs/heads/main');
    expect([...(body.changes[0]?.paths ?? [])].sort()).toEqual(['README.md', 'art/hero.psd']);
    expect(body.changes[0]).toMatchObject({
      pointers: [{ oid: pointer.oid, size: pointer.size, paths: ['art/hero.psd'] }],
    });
  });

  it('refuses the push naming every locked path with its owner and every missing object with its path', async () => {
    const { line, pointer } = await pushedBranch();
    server.reply('POST', ROUTE, {
      status: 200,
      body: {
        allowed: false,
        locked: [
          {
            path: 'art/hero.psd',
            ref: 'refs/heads/main',
            owner: 'alice',
            lock_id: '7',
            locked_at: '2025-01-02T03:04:05.000Z',
          },
          {
            path: 'README.md',
            ref: 'refs/heads/main',
            owner: 'carol',
            lock_id: '8',
            locked_at: '2025-01-02T03:04:05.000Z',
          },
        ],
        missing: [{ oid: pointer.oid, size: pointer.size, paths: ['art/hero.psd'] }],
        damaged: [],
      },
    });

    const result = await hook(line);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('push refused');
    expect(result.stderr).toMatch(/art\/hero\.psd\s+locked by alice/);
    expect(result.stderr).toMatch(/README\.md\s+locked by carol/);
    expect(result.stderr).toContain(`${pointer.oid} (${pointer.size} bytes)  art/hero.psd`);
    expect(result.stderr).toContain('git lfs push --all');
  });

  it('refuses the push naming every damaged object apart, and says that uploading it again heals it', async () => {
    const { line, pointer } = await pushedBranch();
    server.reply('POST', ROUTE, {
      status: 200,
      body: {
        allowed: false,
        locked: [],
        missing: [],
        damaged: [{ oid: pointer.oid, size: pointer.size, paths: ['art/hero.psd'] }],
      },
    });

    const result = await hook(line);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('These LFS objects are damaged on the LFS server');
    expect(result.stderr).toContain(`${pointer.oid} (${pointer.size} bytes)  art/hero.psd`);
    expect(result.stderr).toContain("Upload them again with 'git lfs push --all <remote>'");
    expect(result.stderr).not.toContain('not on the LFS server');
  });

  it('takes the user from REMOTE_USER when LFS_DEPOT_USER is unset', async () => {
    const { line } = await pushedBranch();
    server.reply('POST', ROUTE, { status: 200, body: ALLOWED });

    expect((await hook(line, { LFS_DEPOT_USER: '', REMOTE_USER: 'carol' })).code).toBe(0);
    expect((server.requests[0]?.body as { username: string }).username).toBe('carol');
  });

  it('refuses when no pushing user or project is known, without calling the server', async () => {
    const { line } = await pushedBranch();

    const noUser = await hook(line, { LFS_DEPOT_USER: '' });
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toContain('LFS_DEPOT_USER');
    const noProject = await hook(line, { LFS_DEPOT_PROJECT: '' });
    expect(noProject.code).toBe(1);
    expect(noProject.stderr).toContain('LFS_DEPOT_PROJECT');
    expect(server.requests).toEqual([]);
  });

  it('accepts a branch deletion without asking the server', async () => {
    const tip = await repo.commit({ 'a.txt': 'a' });
    await repo.accept('main');

    expect(await hook(`${tip} ${NULL_ID} refs/heads/main\n`)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(server.requests).toEqual([]);
  });

  it('fails closed when the server cannot be reached, and open with LFS_DEPOT_FAIL_OPEN=1', async () => {
    const { line } = await pushedBranch();
    const url = await closedPortUrl();

    const closed = await hook(line, { LFS_DEPOT_URL: url });
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain('push refused: LFS locks and objects could not be checked: cannot reach');

    const open = await hook(line, { LFS_DEPOT_URL: url, LFS_DEPOT_FAIL_OPEN: '1' });
    expect(open.code).toBe(0);
    expect(open.stderr).toContain('warning');
    expect(open.stderr).toContain('LFS_DEPOT_FAIL_OPEN=1');
  });

  it('treats a server error as unreachable, but a refusal of the request as a refusal', async () => {
    const { line } = await pushedBranch();
    server.reply('POST', ROUTE, { status: 503, body: { message: 'database down' } });
    expect((await hook(line)).code).toBe(1);
    expect((await hook(line, { LFS_DEPOT_FAIL_OPEN: '1' })).code).toBe(0);

    server.reply('POST', ROUTE, { status: 404, body: { message: "Project 'games/engine' not found" } });
    const unknown = await hook(line, { LFS_DEPOT_FAIL_OPEN: '1' });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("Project 'games/engine' not found");
  });

  it('refuses malformed standard input', async () => {
    const result = await hook('not a ref update\n');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unexpected line on standard input');
  });
});
