import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';

import { captureIo } from '../../test/captured-io.js';
import { FakeAdminServer } from '../../test/fake-admin.server.js';
import { main } from '../main.js';

const TOKEN = 'service-token';
const ROUTE = `/api/v1/projects/${encodeURIComponent('games/engine')}/lfs-authenticate`;
const ANSWER = {
  href: 'https://lfs.example.com/games/engine.git/info/lfs',
  header: { Authorization: 'Basic YWxpY2U6bGZzeF94' },
  expires_in: 3600,
  expires_at: '2030-01-01T00:00:00.000Z',
};

describe('lfs-depot authenticate', () => {
  let server: FakeAdminServer;

  beforeAll(async () => {
    server = await FakeAdminServer.start();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  async function run(argv: string[], env: Record<string, string> = {}) {
    const captured = captureIo();
    const code = await main(
      ['authenticate', ...argv],
      { LFS_DEPOT_URL: server.url, LFS_DEPOT_TOKEN: TOKEN, ...env },
      captured.io,
    );
    return { code, stdout: captured.stdout(), stderr: captured.stderr() };
  }

  it("prints the server's answer as JSON for git-lfs, with the project path as git-lfs sends it", async () => {
    server.reply('POST', ROUTE, { status: 200, body: ANSWER });

    const result = await run(['/games/engine.git', 'upload', '--user', 'alice'], { LFS_DEPOT_USER: 'bob' });

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(ANSWER);
    expect(server.requests).toEqual([
      {
        method: 'POST',
        url: ROUTE,
        authorization: `Bearer ${TOKEN}`,
        contentType: 'application/json',
        body: { username: 'alice', operation: 'upload' },
      },
    ]);
  });

  it('takes the user from LFS_DEPOT_USER, else REMOTE_USER', async () => {
    server.reply('POST', ROUTE, { status: 200, body: ANSWER });

    await run(['games/engine', 'download'], { LFS_DEPOT_USER: 'bob', REMOTE_USER: 'carol' });
    await run(['games/engine', 'download'], { REMOTE_USER: 'carol' });

    expect(server.requests.map((r) => r.body)).toEqual([
      { username: 'bob', operation: 'download' },
      { username: 'carol', operation: 'download' },
    ]);
  });

  it('exits 2 for an unknown operation and 1 without a user, calling nothing', async () => {
    const bad = await run(['games/engine', 'delete', '--user', 'alice']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Allowed choices are upload, download.');
    const noUser = await run(['games/engine', 'upload']);
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toContain('--user');
    expect(server.requests).toEqual([]);
  });

  it("reports the server's refusal and exits 1", async () => {
    server.reply('POST', ROUTE, {
      status: 403,
      body: {
        message: "You need the write role on 'games/engine' for this; you have read",
        code: 'FORBIDDEN',
      },
    });

    const result = await run(['games/engine', 'upload', '--user', 'alice']);

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: "lfs-depot: You need the write role on 'games/engine' for this; you have read (HTTP 403)\n",
    });
  });

  describe('with a path that looks like an option', () => {
    const hostile = '--url=http://127.0.0.1:1';
    const hostileRoute = `/api/v1/projects/${encodeURIComponent(hostile)}/lfs-authenticate`;

    it('takes everything after -- as <project> and <operation>, never as options', async () => {
      const result = await run(['--user', 'alice', '--', '--token=stolen', 'download']);

      expect(result.code).toBe(1);
      expect(server.requests).toEqual([
        expect.objectContaining({
          url: `/api/v1/projects/${encodeURIComponent('--token=stolen')}/lfs-authenticate`,
          authorization: `Bearer ${TOKEN}`,
        }),
      ]);
    });

    it("is passed as the project by README's git-lfs-authenticate recipe, so the token goes nowhere else", async () => {
      const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
      const recipe = /^exec \S+\/lfs-depot authenticate (.+)$/m.exec(readme)?.[1];
      expect(recipe).toBeDefined();
      // The shell's word splitting of that line, with what sshd hands the script.
      const argv = (recipe ?? '').split(' ').map((word) =>
        word
          .replace(/^"\$1"$/, hostile)
          .replace(/^"\$2"$/, 'download')
          .replace(/^"\$LFS_DEPOT_USER"$/, 'alice'),
      );

      const result = await run(argv);

      expect(result.code).toBe(1);
      expect(server.requests).toEqual([
        expect.objectContaining({ url: hostileRoute, authorization: `Bearer ${TOKEN}` }),
      ]);
    });
  });
});
