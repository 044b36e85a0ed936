import http from 'node:http';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type {
  JobsPageView,
  JobView,
  ProjectArchiveManifest,
  ProjectImportReport,
} from '@lfs-depot/contracts';
import { archiveObjectMember, MANIFEST_MEMBER, PROJECT_ARCHIVE_MEDIA_TYPE } from '@lfs-depot/contracts';
import type { ObjectStorage } from '@lfs-depot/storage';
import { objectKey } from '@lfs-depot/storage';
import { eventually } from '@lfs-depot/testing';
import tar from 'tar-stream';

import { adminClient, TEST_ADMIN_TOKEN } from '../helpers/api-harness.js';
import { createGitEnvironment, git, lfsUrl, randomObject } from '../helpers/git.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';
import type { CliRun } from '../helpers/in-process-cli.js';
import { runCli } from '../helpers/in-process-cli.js';
import { s3TestStorage } from '../helpers/s3-test-storage.js';

const alice = { username: 'alice', password: 'alice-password-123' };

/** Runs the CLI in process against the stack. */
function cli(stack: Stack, ...args: string[]): Promise<CliRun> {
  return runCli(stack.url, args);
}

async function importJson(
  stack: Stack,
  ...args: string[]
): Promise<{ code: number; report: ProjectImportReport }> {
  const run = await cli(stack, 'projects', 'import', ...args, '--json');
  expect(run.stderr).toBe('');
  return { code: run.code, report: JSON.parse(run.stdout) as ProjectImportReport };
}

/** The members of a tar (names and bytes): the archives here are a few KiB. */
async function members(archive: Buffer): Promise<{ name: string; data: Buffer }[]> {
  const found: { name: string; data: Buffer }[] = [];
  const extract = tar.extract();
  Readable.from([archive]).pipe(extract);
  for await (const member of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of member as AsyncIterable<Buffer>) {
      chunks.push(chunk);
    }
    found.push({ name: member.header.name, data: Buffer.concat(chunks) });
  }
  return found;
}

/** Sends a PUT …/import whose body the test writes itself; resolves once the answer is complete. */
function openImport(
  stack: Stack,
  project: string,
): { body: http.ClientRequest; answer: Promise<{ status: number; body: Record<string, unknown> }> } {
  const body = http.request(`${stack.url}/api/v1/projects/${encodeURIComponent(project)}/import`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': PROJECT_ARCHIVE_MEDIA_TYPE },
  });
  const answer = new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    body.on('error', reject);
    body.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
      );
      res.on('error', reject);
    });
  });
  return { body, answer };
}

/** Where each of the two servers keeps its objects; `undefined`: its harness's own local disk. */
interface Backends {
  source(): Promise<ObjectStorage | undefined>;
  target(): Promise<ObjectStorage | undefined>;
  stop(): Promise<void>;
}

function archiveSpecs(name: string, backends: Backends): void {
  describe(`projects export and import between two servers, with real git and git-lfs (${name})`, () => {
    let source: Stack;
    let target: Stack;
    let home: string;
    let env: NodeJS.ProcessEnv;
    let archiveFile: string;
    const files = {
      'a.bin': randomObject(3000),
      'b.bin': randomObject(70_000),
      'c.bin': randomObject(5000),
    };
    const totalSize = 3000 + 70_000 + 5000;

    beforeAll(async () => {
      // Two servers, each with its own database and DATA_DIR, as when moving a project between machines.
      const [sourceStorage, targetStorage] = await Promise.all([backends.source(), backends.target()]);
      [source, target] = await Promise.all([
        startStack({}, { storage: sourceStorage }),
        startStack({}, { storage: targetStorage }),
      ]);
      ({ home, env } = await createGitEnvironment());
      archiveFile = path.join(home, 'game.tar');
      for (const stack of [source, target]) {
        await adminClient(stack.url).createUser(alice.username, alice.password);
      }
      const admin = adminClient(source.url);
      await admin.createProject('team/game', 'public', 10 * 1024 * 1024);
      await admin.setMember('team/game', alice.username, 'write');

      const work = path.join(home, 'work');
      const bare = path.join(home, 'game.git');
      await mkdir(work, { recursive: true });
      await git(work, env, 'init', '-q', '-b', 'main');
      await git(work, env, 'lfs', 'track', '*.bin');
      for (const [name, file] of Object.entries(files)) {
        await writeFile(path.join(work, name), file.data);
      }
      await git(work, env, 'add', '.');
      await git(work, env, 'commit', '-q', '-m', 'add files');
      await git(home, env, 'init', '-q', '--bare', bare);
      await git(work, env, 'remote', 'add', 'origin', bare);
      await git(
        work,
        env,
        '-c',
        `lfs.url=${lfsUrl(source.url, 'team/game', alice)}`,
        'push',
        '-q',
        'origin',
        'main',
      );
    });

    afterAll(async () => {
      await Promise.all([source?.close(), target?.close()]);
      await backends.stop();
      await rm(home, { recursive: true, force: true });
    });

    it('exports a manifest and every object, as a job with its progress', async () => {
      const run = await cli(source, 'projects', 'export', 'team/game', '--output', archiveFile);
      expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
      const archive = await members(await readFile(archiveFile));
      expect(archive.map((member) => member.name)).toEqual([
        MANIFEST_MEMBER,
        ...Object.values(files)
          .map((file) => file.oid)
          .sort()
          .map(archiveObjectMember),
      ]);
      const manifest = JSON.parse(archive[0]?.data.toString('utf8') ?? '') as ProjectArchiveManifest;
      expect(manifest).toMatchObject({
        format: 'lfs-depot-project',
        version: 1,
        project: { path: 'team/game', visibility: 'public', quota_bytes: 10 * 1024 * 1024 },
        objects: { count: 3, size: totalSize },
      });
      for (const file of Object.values(files)) {
        expect(
          archive.find((member) => member.name === archiveObjectMember(file.oid))?.data.equals(file.data),
        ).toBe(true);
      }
      // The job ends once the last byte went out, which the client may see a moment before the job's row says so.
      let jobs: JobsPageView | undefined;
      await eventually(async () => {
        jobs = (await adminClient(source.url).ok(
          'GET',
          '/jobs?kind=project-export',
        )) as unknown as JobsPageView;
        return jobs.jobs[0]?.state !== 'running';
      }, 10_000);
      if (!jobs) {
        throw new Error('no jobs page');
      }
      expect(jobs.jobs).toHaveLength(1);
      expect(jobs.jobs[0]).toMatchObject({
        kind: 'project-export',
        state: 'succeeded',
        params: { project: 'team/game' },
        progress: { phase: 'objects', done: 3, total: 3 },
        result: { project: 'team/game', objects: 3, size: totalSize },
      });
    });

    it('refuses an archive with a corrupted object for that object only, and stores nothing for it', async () => {
      const bytes = await readFile(archiveFile);
      const bad = files['b.bin'];
      const at = bytes.indexOf(bad.data.subarray(0, 64));
      expect(at).toBeGreaterThan(0);
      const corrupted = Buffer.from(bytes);
      corrupted[at + 100] = (corrupted[at + 100] ?? 0) ^ 0xff;
      const corruptedFile = path.join(home, 'corrupted.tar');
      await writeFile(corruptedFile, corrupted);

      const { code, report } = await importJson(target, 'scratch/copy', '--input', corruptedFile);
      expect(code).toBe(1);
      expect(report).toMatchObject({
        project: 'scratch/copy',
        created: true,
        listed: 3,
        received: 3,
        linked: 2,
        linked_size: totalSize - 70_000,
        already_linked: 0,
        failed: 1,
        missing: 0,
        failures: [{ oid: bad.oid, reason: expect.stringMatching(/nothing was stored/) as unknown }],
        statistics: { lfs_objects_count: 2, lfs_objects_size: totalSize - 70_000 },
      });
      expect(await target.api.storage.stat(objectKey(bad.oid))).toBeUndefined();
    });

    it('imports into a new project on the other server, statistics exact, and a clone from it passes git lfs fsck', async () => {
      const { code, report } = await importJson(target, 'team/game', '--input', archiveFile);
      expect(code).toBe(0);
      expect(report).toMatchObject({
        project: 'team/game',
        created: true,
        listed: 3,
        listed_size: totalSize,
        received: 3,
        linked: 3,
        linked_size: totalSize,
        already_linked: 0,
        failed: 0,
        missing: 0,
        failures: [],
        statistics: { lfs_objects_count: 3, lfs_objects_size: totalSize, quota_bytes: 10 * 1024 * 1024 },
      });
      const admin = adminClient(target.url);
      expect((await admin.statistics('team/game')).body).toMatchObject(
        (await adminClient(source.url).statistics('team/game')).body as Record<string, unknown>,
      );
      const project = (await admin.ok('GET', '/projects/team%2Fgame')) as Record<string, unknown>;
      expect(project).toMatchObject({ visibility: 'public', quota_bytes: 10 * 1024 * 1024 });
      const job = (await admin.ok('GET', `/jobs/${report.job_id}`)) as unknown as JobView;
      expect(job).toMatchObject({
        kind: 'project-import',
        state: 'succeeded',
        progress: { phase: 'objects', done: 3, total: 3 },
        result: { linked: 3 },
      });

      await admin.setMember('team/game', alice.username, 'read');
      const clone = path.join(home, 'clone');
      await git(
        home,
        env,
        '-c',
        `lfs.url=${lfsUrl(target.url, 'team/game', alice)}`,
        'clone',
        '-q',
        path.join(home, 'game.git'),
        clone,
      );
      await git(clone, env, 'config', 'lfs.url', lfsUrl(target.url, 'team/game', alice));
      await git(clone, env, 'lfs', 'pull');
      expect((await git(clone, env, 'lfs', 'fsck')).stdout).toMatch(/Git LFS fsck OK/);
      for (const [name, file] of Object.entries(files)) {
        expect((await readFile(path.join(clone, name))).equals(file.data)).toBe(true);
      }
    });

    it('changes nothing when the same archive is imported again', async () => {
      const admin = adminClient(target.url);
      const before = (await admin.statistics('team/game')).body;
      const { code, report } = await importJson(target, 'team/game', '--input', archiveFile);
      expect(code).toBe(0);
      expect(report).toMatchObject({ created: false, linked: 0, already_linked: 3, failed: 0, missing: 0 });
      expect((await admin.statistics('team/game')).body).toEqual(before);
    });

    it('keeps to the quota unless the admin overrides it', async () => {
      const admin = adminClient(target.url);
      await admin.createProject('team/tight', 'private', 10_000);
      const refused = await cli(target, 'projects', 'import', 'team/tight', '--input', archiveFile);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/quota/);
      expect((await admin.statistics('team/tight')).body).toMatchObject({ lfs_objects_count: 0 });

      const { code, report } = await importJson(
        target,
        'team/tight',
        '--input',
        archiveFile,
        '--ignore-quota',
      );
      expect(code).toBe(0);
      expect(report).toMatchObject({
        linked: 3,
        statistics: { lfs_objects_size: totalSize, quota_bytes: 10_000 },
      });
    });

    it('refuses callers without the admin token before reading the archive', async () => {
      const admin = adminClient(target.url);
      const user = (await admin.ok('POST', `/users/${alice.username}/tokens`, { name: 'laptop' })) as {
        token: string;
      };
      const platform = (await admin.ok('POST', '/platform-tokens', { name: 'hooks' })) as { token: string };
      const archive = await readFile(archiveFile);
      const countJobs = async (): Promise<number> =>
        ((await admin.ok('GET', '/jobs?kind=project-import&limit=100')) as unknown as JobsPageView).jobs
          .length;
      const jobsBefore = await countJobs();
      const importWith = (token: string): Promise<Response> =>
        fetch(`${target.url}/api/v1/projects/team%2Fgame/import`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': PROJECT_ARCHIVE_MEDIA_TYPE },
          body: archive,
        });
      const asUser = await importWith(user.token);
      expect(asUser.status).toBe(401);
      expect(await asUser.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
      const asPlatform = await importWith(platform.token);
      expect(asPlatform.status).toBe(403);
      expect(await asPlatform.json()).toMatchObject({ code: 'FORBIDDEN' });
      const exported = await fetch(`${target.url}/api/v1/projects/team%2Fgame/export`);
      expect(exported.status).toBe(401);
      // None of them got as far as a job.
      expect(await countJobs()).toBe(jobsBefore);
    });

    it('shows a running import in the jobs list and stops it when the job is cancelled', async () => {
      const admin = adminClient(target.url);
      const { body, answer } = openImport(target, 'team/cancelled');
      const pack = tar.pack();
      // The server ends this request in the middle of the body: the pack and its member then fail, as they should.
      pack.on('error', () => undefined);
      pack.pipe(body);
      const manifest = {
        format: 'lfs-depot-project',
        version: 1,
        exported_at: new Date().toISOString(),
        project: { path: 'team/cancelled', visibility: 'private', quota_bytes: null },
        objects: { count: 1, size: 1_000_000 },
      };
      pack.entry({ name: MANIFEST_MEMBER }, JSON.stringify(manifest));
      const big = randomObject(1_000_000);
      // The member's first half only: the import waits for the rest, running, until it is cancelled.
      const member = pack.entry({ name: archiveObjectMember(big.oid), size: big.data.length });
      member.on('error', () => undefined);
      member.write(big.data.subarray(0, 500_000));

      let running: JobView | undefined;
      // Progress goes out with the job's heartbeat, every 2 s.
      await eventually(async () => {
        const page = (await admin.ok(
          'GET',
          '/jobs?kind=project-import&state=running',
        )) as unknown as JobsPageView;
        running = page.jobs.find((job) => job.params.project === 'team/cancelled' && job.progress !== null);
        return running !== undefined;
      }, 15_000);
      if (!running) {
        throw new Error('no running import job');
      }
      expect(running).toMatchObject({ state: 'running', progress: { phase: 'objects', done: 0, total: 1 } });
      await admin.ok('POST', `/jobs/${running.id}/cancel`);
      await expect(answer).resolves.toMatchObject({ status: 409, body: { code: 'JOB_CANCELLED' } });
      expect(await admin.ok('GET', `/jobs/${running.id}`)).toMatchObject({ state: 'cancelled' });
      expect(await target.api.storage.stat(objectKey(big.oid))).toBeUndefined();
      body.destroy();
    });

    it('refuses an archive that is no project export, or whose manifest is too large, before storing anything', async () => {
      const archiveOf = async (entries: { name: string; data: string | Buffer }[]): Promise<Buffer> => {
        const pack = tar.pack();
        for (const entry of entries) {
          pack.entry({ name: entry.name }, entry.data);
        }
        pack.finalize();
        const chunks: Buffer[] = [];
        for await (const chunk of pack as AsyncIterable<Buffer>) {
          chunks.push(chunk);
        }
        return Buffer.concat(chunks);
      };
      const send = async (archive: Buffer): Promise<{ status: number; body: Record<string, unknown> }> => {
        const { body, answer } = openImport(target, 'team/refused');
        body.end(archive);
        return answer;
      };
      const object = randomObject(100);
      await expect(
        send(await archiveOf([{ name: archiveObjectMember(object.oid), data: object.data }])),
      ).resolves.toMatchObject({
        status: 422,
        body: {
          code: 'VALIDATION_FAILED',
          message: expect.stringMatching(/first member must be manifest.json/) as unknown,
        },
      });
      await expect(
        send(
          await archiveOf([
            { name: MANIFEST_MEMBER, data: `{"format":"lfs-depot-project","pad":"${'x'.repeat(70_000)}"}` },
          ]),
        ),
      ).resolves.toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
      await expect(
        send(await archiveOf([{ name: MANIFEST_MEMBER, data: '{"format":"zip"}' }])),
      ).resolves.toMatchObject({
        status: 422,
        body: { message: expect.stringMatching(/not an lfs-depot project archive/) as unknown },
      });
      expect((await adminClient(target.url).call('GET', '/projects/team%2Frefused')).status).toBe(404);
      expect(await target.api.storage.stat(objectKey(object.oid))).toBeUndefined();
    });

    it('cuts an export short when its job is cancelled, and fails the job of an export whose client went away', async () => {
      const admin = adminClient(target.url);
      // Large enough that the export waits for its reader once the socket buffers are full.
      const big = randomObject(32 * 1024 * 1024);
      const { body, answer } = openImport(target, 'team/large');
      const pack = tar.pack();
      pack.pipe(body);
      pack.entry(
        { name: MANIFEST_MEMBER },
        JSON.stringify({
          format: 'lfs-depot-project',
          version: 1,
          exported_at: new Date().toISOString(),
          project: { path: 'team/large', visibility: 'private', quota_bytes: null },
          objects: { count: 1, size: big.data.length },
        }),
      );
      pack.entry({ name: archiveObjectMember(big.oid) }, big.data);
      pack.finalize();
      await expect(answer).resolves.toMatchObject({ status: 200, body: { linked: 1 } });

      const startExport = (): Promise<http.IncomingMessage> =>
        new Promise((resolve, reject) => {
          http
            .get(
              `${target.url}/api/v1/projects/team%2Flarge/export`,
              { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } },
              resolve,
            )
            .on('error', reject);
        });
      const runningExport = async (): Promise<JobView> => {
        let found: JobView | undefined;
        await eventually(async () => {
          const page = (await admin.ok(
            'GET',
            '/jobs?kind=project-export&state=running',
          )) as unknown as JobsPageView;
          found = page.jobs.find((job) => job.params.project === 'team/large');
          return found !== undefined;
        }, 15_000);
        if (!found) {
          throw new Error('no running export job');
        }
        return found;
      };
      const finished = async (id: string): Promise<JobView> => {
        let job: JobView | undefined;
        await eventually(async () => {
          job = (await admin.ok('GET', `/jobs/${id}`)) as unknown as JobView;
          return job.state !== 'running';
        }, 15_000);
        if (!job) {
          throw new Error(`job ${id} not found`);
        }
        return job;
      };

      const cancelled = await startExport();
      expect(cancelled.statusCode).toBe(200);
      cancelled.pause();
      const ended = new Promise<boolean>((resolve) => {
        cancelled.on('error', () => resolve(cancelled.complete));
        cancelled.on('close', () => resolve(cancelled.complete));
      });
      const first = await runningExport();
      await admin.ok('POST', `/jobs/${first.id}/cancel`);
      expect(await finished(first.id)).toMatchObject({ state: 'cancelled' });
      cancelled.resume();
      // The answer stops before its end: whoever reads it sees a cut tar, never one that passes for whole.
      await expect(ended).resolves.toBe(false);

      const abandoned = await startExport();
      abandoned.pause();
      const second = await runningExport();
      abandoned.destroy();
      expect(await finished(second.id)).toMatchObject({ state: 'failed' });
    });
  });
}

archiveSpecs('local disk', {
  source: () => Promise.resolve(undefined),
  target: () => Promise.resolve(undefined),
  stop: () => Promise.resolve(),
});

// Each server its own S3-compatible server (s3rver), as two deployments would have.
const sourceS3 = s3TestStorage();
const targetS3 = s3TestStorage();
archiveSpecs('S3, s3rver', {
  source: sourceS3.start,
  target: targetS3.start,
  stop: async () => {
    await Promise.all([sourceS3.stop(), targetS3.stop()]);
  },
});
