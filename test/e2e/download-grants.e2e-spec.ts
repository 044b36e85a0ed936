import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { signDownloadGrants } from '@lfs-depot/auth';
import { DOWNLOAD_GRANT_HEADER } from '@lfs-depot/contracts';
import { objectKey } from '@lfs-depot/storage';

import { ApiSecrets } from '../../apps/api/src/core/api-secrets.js';
import { DOWNLOAD_RECHECK_MS, GRANT_BELIEVED_MS } from '../../apps/proxy/src/auth/download-grant-verifier.js';
import { TransfersService } from '../../apps/api/src/transfers/transfers.service.js';
import { createGitEnvironment, git, lfsUrl } from '../helpers/git.js';
import { runCli } from '../helpers/in-process-cli.js';
import {
  alice,
  basic,
  json,
  testObject,
  useTransferStack,
  type BatchAction,
  type BatchObject,
  type TestObject,
} from '../helpers/transfer-stack.js';

// Downloads let in by the proxy on the batch's download grants (a Merkle path to a root the API signed, and the
// reader's credential), with no authorize call per object, and every case in which the grant must not be believed: a
// forged or swapped proof, a grant of another project, and what changed since the batch (an unlinked or damaged
// object, a lost membership, a revoked access token), which the proxy learns from its periodic re-check.
describe('downloads on download grants (local disk storage)', () => {
  const t = useTransferStack([
    { path: 'team/main' },
    { path: 'team/other' },
    { path: 'team/deleted' },
    { path: 'team/damaged' },
    { path: 'team/left' },
  ]);

  function spyOnTransfers(): {
    authorize: jest.SpiedFunction<TransfersService['authorizeDownload']>;
    check: jest.SpiedFunction<TransfersService['checkDownloads']>;
    restore: () => void;
  } {
    const service = t().stack.api.app.get(TransfersService);
    const authorize = jest.spyOn(service, 'authorizeDownload');
    const check = jest.spyOn(service, 'checkDownloads');
    return {
      authorize,
      check,
      restore: () => {
        authorize.mockRestore();
        check.mockRestore();
      },
    };
  }

  async function downloadActions(
    project: string,
    objects: TestObject[],
    credentials = basic(alice.username, alice.password),
  ): Promise<BatchAction[]> {
    const answer = await t().batch(project, 'download', objects, credentials);
    expect(answer.status).toBe(200);
    return (json(answer).objects as BatchObject[]).map((object) => {
      const action = object.actions?.download;
      if (!action?.header?.[DOWNLOAD_GRANT_HEADER]) {
        throw new Error(`no download action with a grant: ${answer.body}`);
      }
      return action;
    });
  }

  async function get(
    action: BatchAction,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: Record<string, unknown>; data: Buffer }> {
    const response = await fetch(action.href, { headers: { ...action.header, ...headers } });
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      data: Buffer.from(await response.arrayBuffer()),
    };
  }

  /** Lets the proxy's last word from the API on alice's token expire, so that its next grant download asks again. */
  const pastRecheck = (): Promise<void> => sleep(DOWNLOAD_RECHECK_MS + 100);

  it('serves the objects of a batch, whole and in ranges, without an authorize call', async () => {
    const objects = [testObject(4096), testObject(1), testObject(70_000)];
    for (const object of objects) {
      await t().upload('team/main', object);
    }
    const actions = await downloadActions('team/main', objects);
    // The grant is the credential: no transfer token beside it (git-lfs sends no other, the objects being
    // `authenticated`).
    for (const action of actions) {
      expect(Object.keys(action.header ?? {})).toEqual([DOWNLOAD_GRANT_HEADER]);
    }
    const spies = spyOnTransfers();
    try {
      for (const [index, object] of objects.entries()) {
        const answer = await get(actions[index]);
        expect(answer.status).toBe(200);
        expect(answer.headers['content-length']).toBe(String(object.size));
        expect(answer.headers['x-content-type-options']).toBe('nosniff');
        expect(answer.data.equals(object.data)).toBe(true);
      }
      const ranged = await get(actions[2], { range: 'bytes=100-199' });
      expect(ranged.status).toBe(206);
      expect(ranged.headers['content-range']).toBe('bytes 100-199/70000');
      expect(ranged.data.equals(objects[2]?.data.subarray(100, 200) ?? Buffer.alloc(0))).toBe(true);
      const past = await get(actions[0], { range: 'bytes=5000-6000' });
      expect(past.status).toBe(416);
      expect(spies.authorize).not.toHaveBeenCalled();
      expect(spies.check).toHaveBeenCalled();
    } finally {
      spies.restore();
    }
  });

  it('gives a repeated batch the same grants, and new ones once a link was removed', async () => {
    const objects = [testObject(200), testObject(201)];
    const dropped = testObject(202);
    for (const object of [...objects, dropped]) {
      await t().upload('team/main', object);
    }
    const grants = async (): Promise<string[]> =>
      (await downloadActions('team/main', objects)).map(
        (action) => action.header?.[DOWNLOAD_GRANT_HEADER] ?? '',
      );
    const first = await grants();
    expect(await grants()).toEqual(first);
    const deleted = await t().admin.call('DELETE', `/projects/team%2Fmain/objects/${dropped.oid}`);
    expect(deleted.status).toBeLessThan(300);
    const renewed = await grants();
    expect(renewed).not.toEqual(first);
    const [action] = await downloadActions('team/main', [objects[0]]);
    expect((await get(action)).status).toBe(200);
  });

  it('refuses a swapped or forged proof with 403 and sends no bytes', async () => {
    const objects = [testObject(300), testObject(400)];
    for (const object of objects) {
      await t().upload('team/main', object);
    }
    const elsewhere = testObject(500);
    await t().upload('team/other', elsewhere);
    const [first, second] = (await downloadActions('team/main', objects)) as [BatchAction, BatchAction];
    const grant = (action: BatchAction): string => action.header?.[DOWNLOAD_GRANT_HEADER] ?? '';
    const refused = async (answer: Promise<{ status: number; data: Buffer }>): Promise<void> => {
      const { status, data } = await answer;
      expect(status).toBe(403);
      expect(JSON.parse(data.toString('utf8'))).toMatchObject({
        code: 'FORBIDDEN',
        message: 'The download grant does not prove this object; ask the batch API for it again',
        request_id: expect.any(String),
      });
    };
    // The first object's proof on the second object's URL: both linked, but the proof is not the second's.
    await refused(get(second, { [DOWNLOAD_GRANT_HEADER]: grant(first) }));
    // An object team/main does not link, on team/main's URL, with a proof of one it does.
    await refused(get({ href: t().lfs('team/main', `objects/${elsewhere.oid}`), header: first.header }));
    // Another size, and a path of the wrong shape.
    const parts = grant(first).split('.');
    parts[8] = '301';
    await refused(get(first, { [DOWNLOAD_GRANT_HEADER]: parts.join('.') }));
    await refused(get(first, { [DOWNLOAD_GRANT_HEADER]: `${grant(first)}AAAA` }));
    await refused(get(first, { [DOWNLOAD_GRANT_HEADER]: 'not a grant' }));
    // Still served with its own proof.
    expect((await get(first)).status).toBe(200);
  });

  it("refuses a token and grant of another project on this project's URL as the API does", async () => {
    const theirs = testObject(600);
    await t().upload('team/other', theirs);
    const [action] = (await downloadActions('team/other', [theirs])) as [BatchAction];
    const misused = await get({ href: t().lfs('team/main', `objects/${theirs.oid}`), header: action.header });
    // The grant is signed for team/other: on team/main's URL it proves nothing.
    expect(misused.status).toBe(403);
    expect(misused.data.equals(theirs.data)).toBe(false);
  });

  it('serves no object unlinked after the batch once the proxy has re-checked', async () => {
    const object = testObject(800);
    await t().upload('team/deleted', object);
    const [action] = (await downloadActions('team/deleted', [object])) as [BatchAction];
    expect((await get(action)).status).toBe(200);
    const deleted = await t().admin.call('DELETE', `/projects/team%2Fdeleted/objects/${object.oid}`);
    expect(deleted.status).toBeLessThan(300);
    await pastRecheck();
    const spies = spyOnTransfers();
    try {
      const answer = await get(action);
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.data.toString('utf8'))).toMatchObject({ code: 'OBJECT_NOT_FOUND' });
      // The grant predates the unlink: the API was asked, as for a download without one.
      expect(spies.authorize).toHaveBeenCalledTimes(1);
    } finally {
      spies.restore();
    }
  });

  it('serves no object scrub --repair marked damaged after the batch', async () => {
    const object = testObject(900);
    await t().upload('team/damaged', object);
    const [action] = (await downloadActions('team/damaged', [object])) as [BatchAction];
    expect((await get(action)).status).toBe(200);
    // Other bytes of the same length: what a failing disk leaves, which scrub finds corrupt and moves aside.
    const file = path.join(t().storageRoot, ...objectKey(object.oid).split('/'));
    await writeFile(file, Buffer.alloc(object.size, 7));
    const repaired = await runCli(t().stack.url, [
      'scrub',
      '--repair',
      '--project',
      'team/damaged',
      '--json',
    ]);
    expect(repaired.code).toBe(1);
    // Put the corrupt bytes back where they were, so that only the damage mark can keep them from being served.
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, Buffer.alloc(object.size, 7));
    await pastRecheck();
    const answer = await get(action);
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.data.toString('utf8'))).toMatchObject({ code: 'OBJECT_NOT_FOUND' });
  });

  it('refuses the grant downloads of a user who lost the membership, once the proxy has re-checked', async () => {
    const object = testObject(1000);
    await t().upload('team/left', object);
    const [action] = (await downloadActions('team/left', [object])) as [BatchAction];
    expect((await get(action)).status).toBe(200);
    const removed = await t().admin.call('DELETE', `/projects/team%2Fleft/members/${alice.username}`);
    expect(removed.status).toBeLessThan(300);
    await pastRecheck();
    const answer = await get(action);
    expect(answer.status).toBe(404);
    expect(answer.data.equals(object.data)).toBe(false);
  });

  it('refuses the grant downloads of a revoked access token, once the proxy has re-checked', async () => {
    const object = testObject(1100);
    await t().upload('team/main', object);
    const created = await t().admin.createToken(alice.username, 'reader');
    expect(created.status).toBe(201);
    const [action] = (await downloadActions(
      'team/main',
      [object],
      basic(alice.username, created.body?.token as string),
    )) as [BatchAction];
    expect((await get(action)).status).toBe(200);
    const revoked = await t().admin.call(
      'DELETE',
      `/users/${alice.username}/tokens/${String(created.body?.id)}`,
    );
    expect(revoked.status).toBe(204);
    await pastRecheck();
    const answer = await get(action);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.data.toString('utf8'))).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(answer.data.equals(object.data)).toBe(false);
  });

  it('has the API authorize a grant too old for the proxy to believe, on the grant alone', async () => {
    const object = testObject(1200);
    await t().upload('team/main', object);
    const [action] = (await downloadActions('team/main', [object])) as [BatchAction];
    const parts = (action.header?.[DOWNLOAD_GRANT_HEADER] ?? '').split('.');
    // Made GRANT_BELIEVED_MS and more ago, signed as the API signs: the proxy sends it to the API's authorize.
    const claims = {
      projectPath: 'team/main',
      credential: parts[4] ?? '',
      issuedAt: Date.now() - GRANT_BELIEVED_MS - 1000,
      expiresAt: Number(parts[2]),
    };
    const secrets = t().stack.api.app.get(ApiSecrets);
    const [old] = signDownloadGrants(claims, [object], secrets.transferSigningKey) as [string];
    const spies = spyOnTransfers();
    try {
      const answer = await get({ href: action.href, header: { [DOWNLOAD_GRANT_HEADER]: old } });
      expect(answer.status).toBe(200);
      expect(answer.data.equals(object.data)).toBe(true);
      expect(spies.authorize).toHaveBeenCalledTimes(1);
      // Without Authorization, the API took the grant as the credential.
      expect(spies.authorize.mock.calls[0]?.[0]).toMatchObject({ grant: old });
      expect(spies.authorize.mock.calls[0]?.[0]).not.toHaveProperty('authorization');
      // An expired one proves nothing there either: with no other credential, the API asks for one.
      const expired = signDownloadGrants(
        { ...claims, expiresAt: Math.floor(Date.now() / 1000) - 1 },
        [object],
        secrets.transferSigningKey,
      );
      const refused = await get({ href: action.href, header: { [DOWNLOAD_GRANT_HEADER]: expired[0] ?? '' } });
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.data.toString('utf8'))).toMatchObject({ code: 'UNAUTHENTICATED' });
    } finally {
      spies.restore();
    }
  });

  describe('with git and git-lfs', () => {
    let home: string;
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
      ({ home, env } = await createGitEnvironment());
    });

    afterAll(async () => {
      await rm(home, { recursive: true, force: true });
    });

    it('clones and fetches every object on grants, with no authorize call', async () => {
      const url = lfsUrl(t().stack.url, 'team/main', alice);
      const work = path.join(home, 'work');
      const bare = path.join(home, 'repo.git');
      await mkdir(work, { recursive: true });
      await git(work, env, 'init', '-q', '-b', 'main');
      await git(work, env, 'lfs', 'track', '*.bin');
      const files = Array.from({ length: 12 }, (_, i) => ({
        name: `f${i}.bin`,
        data: testObject(2000 + i).data,
      }));
      for (const file of files) {
        await writeFile(path.join(work, file.name), file.data);
      }
      await git(work, env, 'add', '.');
      await git(work, env, 'commit', '-q', '-m', 'add files');
      await git(home, env, 'init', '-q', '--bare', bare);
      await git(work, env, 'remote', 'add', 'origin', bare);
      await git(work, env, '-c', `lfs.url=${url}`, 'push', '-q', 'origin', 'main');

      const spies = spyOnTransfers();
      try {
        const clone = path.join(home, 'clone');
        await git(home, { ...env, GIT_LFS_SKIP_SMUDGE: '1' }, 'clone', '-q', bare, clone);
        await git(clone, env, 'config', 'lfs.url', url);
        await git(clone, env, 'lfs', 'fetch', '--all');
        await git(clone, env, 'lfs', 'checkout');
        expect((await git(clone, env, 'lfs', 'fsck')).stdout).toMatch(/Git LFS fsck OK/);
        for (const file of files) {
          expect((await readFile(path.join(clone, file.name))).equals(file.data)).toBe(true);
        }
        expect(spies.authorize).not.toHaveBeenCalled();
        expect(spies.check).toHaveBeenCalled();
      } finally {
        spies.restore();
      }
    });
  });
});
