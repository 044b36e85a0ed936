import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DOWNLOAD_GRANT_HEADER } from '@lfs-depot/contracts';
import { createLogger } from '@lfs-depot/observability';

import {
  adminClient,
  TEST_ADMIN_TOKEN,
  TEST_INTERNAL_SECRET,
  TEST_METRICS_TOKEN,
} from '../helpers/api-harness.js';
import { createGitEnvironment, git, lfsUrl, randomObject } from '../helpers/git.js';
import type { Stack } from '../helpers/stack.js';
import { startStack } from '../helpers/stack.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const LFS_TYPE = 'application/vnd.git-lfs+json';

type Line = Record<string, unknown>;

/** Every line both apps write, kept in memory as written (JSON lines). */
class CapturedLines extends Writable {
  private text = '';

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }

  raw(): string {
    return this.text;
  }

  lines(): Line[] {
    return this.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Line);
  }
}

/** Every metric name (family) a Prometheus exposition declares. */
function metricNames(exposition: string): Set<string> {
  return new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1] ?? ''));
}

/** Whether `name` (as a query names it, with _bucket/_sum/_count) is one of `families`. */
function isKnownMetric(name: string, families: Set<string>): boolean {
  return families.has(name) || families.has(name.replace(/_(bucket|sum|count)$/, ''));
}

describe('logs and metrics of a push, clone, lock and failed sign-ins through git-lfs', () => {
  const captured = new CapturedLines();
  let stack: Stack;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let admin: ReturnType<typeof adminClient>;
  const alice = { username: 'alice', password: 'alice-pw-Qx7-never-logged' };
  const wrong = { username: 'alice', password: 'wrong-pw-Zk4-never-logged' };
  const guesser = { username: 'mallory', password: 'guess-pw-Vb2-never-logged' };
  let bobToken = '';
  /** Credentials handed out during the run: the transfer token of a batch action, and its href. */
  const handedOut: string[] = [];
  const big = randomObject(3 * 1024 * 1024 + 5);
  const small = randomObject(1000);
  let refusedRequestId = '';
  let metrics = '';

  beforeAll(async () => {
    const logger = (app: 'api' | 'proxy') =>
      createLogger({ app, level: 'log', format: 'json', destination: captured });
    stack = await startStack({}, { loggers: { api: logger('api'), proxy: logger('proxy') } });
    ({ home, env } = await createGitEnvironment());
    admin = adminClient(stack.url);
    await admin.createUser(alice.username, alice.password);
    await admin.createUser('bob');
    bobToken = String((await admin.createToken('bob', 'laptop')).body?.token);
    await admin.createProject('team/art');
    await admin.setMember('team/art', 'alice', 'write');
    await admin.setMember('team/art', 'bob', 'read');

    // Push two objects as alice (password), clone as bob (access token).
    const work = path.join(home, 'work');
    await mkdir(work, { recursive: true });
    await git(work, env, 'init', '-q');
    await git(work, env, 'lfs', 'track', '*.bin');
    await writeFile(path.join(work, 'big.bin'), big.data);
    await writeFile(path.join(work, 'small.bin'), small.data);
    await git(work, env, 'add', '.');
    await git(work, env, 'commit', '-q', '-m', 'add');
    const bare = path.join(home, 'art.git');
    await git(home, env, 'init', '-q', '--bare', bare);
    await git(work, env, 'remote', 'add', 'origin', bare);
    const asAlice = ['-c', `lfs.url=${lfsUrl(stack.url, 'team/art', alice)}`];
    await git(work, env, ...asAlice, 'push', '-q', 'origin', 'main');
    const asBob = { username: 'bob', password: bobToken };
    await git(
      home,
      env,
      '-c',
      `lfs.url=${lfsUrl(stack.url, 'team/art', asBob)}`,
      'clone',
      '-q',
      bare,
      'clone',
    );
    expect((await readFile(path.join(home, 'clone', 'big.bin'))).equals(big.data)).toBe(true);

    // Lock and unlock as alice.
    await git(work, env, ...asAlice, 'lfs', 'lock', 'big.bin');
    await git(work, env, ...asAlice, 'lfs', 'unlock', 'big.bin');

    // Failed sign-ins through git-lfs, then enough of them to be throttled.
    const asWrong = ['-c', `lfs.url=${lfsUrl(stack.url, 'team/art', wrong)}`];
    await git(home, { ...env, GIT_LFS_SKIP_SMUDGE: '1' }, 'clone', '-q', bare, 'pointers');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await expect(git(path.join(home, 'pointers'), env, ...asWrong, 'lfs', 'pull')).rejects.toThrow(
        /Authentication|401|credentials|failed/i,
      );
    }
    const basic = `Basic ${Buffer.from(`${guesser.username}:${guesser.password}`).toString('base64')}`;
    for (let attempt = 0; attempt < 21; attempt += 1) {
      const answer = await fetch(`${stack.url}/team/art.git/info/lfs/objects/batch`, {
        method: 'POST',
        headers: { authorization: basic, accept: LFS_TYPE, 'content-type': LFS_TYPE },
        body: JSON.stringify({ operation: 'download', objects: [] }),
      });
      const body = (await answer.json()) as { request_id: string };
      if (answer.status === 429) {
        refusedRequestId = body.request_id;
        break;
      }
      expect(answer.status).toBe(401);
    }

    // A transfer token handed out in a batch action, used for an upload of the wrong bytes (refused).
    const batch = await fetch(`${stack.url}/team/art.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${alice.username}:${alice.password}`).toString('base64')}`,
        accept: LFS_TYPE,
        'content-type': LFS_TYPE,
      },
      body: JSON.stringify({ operation: 'upload', objects: [{ oid: '1'.repeat(64), size: 4 }] }),
    });
    const action = (
      (await batch.json()) as { objects: { actions: Record<string, Record<string, unknown>> }[] }
    ).objects[0]?.actions.upload as { href: string; header: { Authorization: string } };
    handedOut.push(action.header.Authorization, action.header.Authorization.replace(/^Basic /, ''));
    const mismatch = await fetch(action.href, {
      method: 'PUT',
      headers: { authorization: action.header.Authorization, 'content-type': 'application/octet-stream' },
      body: 'abcd',
    });
    expect(mismatch.status).toBe(422);

    // A download grant handed out in a batch action (the download's credential), used for a download.
    const downloadBatch = await fetch(`${stack.url}/team/art.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${alice.username}:${alice.password}`).toString('base64')}`,
        accept: LFS_TYPE,
        'content-type': LFS_TYPE,
      },
      body: JSON.stringify({ operation: 'download', objects: [{ oid: big.oid, size: big.data.length }] }),
    });
    const download = (
      (await downloadBatch.json()) as { objects: { actions: Record<string, Record<string, unknown>> }[] }
    ).objects[0]?.actions.download as { href: string; header: Record<string, string> };
    handedOut.push(download.header[DOWNLOAD_GRANT_HEADER] ?? 'no grant handed out');
    const downloaded = await fetch(download.href, { headers: download.header });
    expect(downloaded.status).toBe(200);
    expect(Buffer.from(await downloaded.arrayBuffer()).equals(big.data)).toBe(true);

    const scrape = await fetch(`${stack.url}/metrics`, {
      headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` },
    });
    expect(scrape.status).toBe(200);
    metrics = await scrape.text();
    await stack.proxy.transfersSettled();
  }, 300_000);

  afterAll(async () => {
    await stack.close();
    await rm(home, { recursive: true, force: true });
  });

  it('never writes a password, token, Authorization header or signed credential', () => {
    const raw = captured.raw();
    const secrets = [
      alice.password,
      wrong.password,
      guesser.password,
      bobToken,
      TEST_ADMIN_TOKEN,
      TEST_METRICS_TOKEN,
      TEST_INTERNAL_SECRET,
      ...handedOut,
    ];
    for (const [username, secret] of [
      [alice.username, alice.password],
      [wrong.username, wrong.password],
      [guesser.username, guesser.password],
      ['bob', bobToken],
    ] as const) {
      secrets.push(Buffer.from(`${username}:${secret}`).toString('base64'), encodeURIComponent(secret));
    }
    expect(raw.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect({ secret, found: raw.includes(secret) }).toEqual({ secret, found: false });
    }
    expect(raw).not.toMatch(/authorization/i);
  });

  it('writes one access line per request in each app, with the same request id', () => {
    const lines = captured.lines();
    for (const line of lines) {
      expect(line).toEqual(expect.objectContaining({ time: expect.any(String), app: expect.any(String) }));
    }
    const access = lines.filter((line) => line.route !== undefined && line.status !== undefined);
    const batches = access.filter((line) => line.route === 'lfs_batch' && line.user === 'alice');
    expect(batches.length).toBeGreaterThan(0);
    const [batch] = batches;
    const sameId = access.filter((line) => line.request_id === batch?.request_id);
    expect(sameId.map((line) => line.app).sort()).toEqual(['api', 'proxy']);
    for (const line of sameId) {
      expect(line).toEqual(
        expect.objectContaining({
          method: 'POST',
          status: 200,
          duration_ms: expect.any(Number),
          bytes_in: expect.any(Number),
          bytes_out: expect.any(Number),
          user: 'alice',
          project: 'team/art',
          client: '127.0.0.1',
        }),
      );
    }
    // The 429's body names the request id its lines carry, in both apps.
    expect(refusedRequestId).not.toBe('');
    const refused = access.filter((line) => line.request_id === refusedRequestId);
    expect(refused.map((line) => [line.app, line.status]).sort()).toEqual([
      ['api', 429],
      ['proxy', 429],
    ]);
    // The API's lines of the proxy's internal calls (upload finalize, download authorize) name user and project too.
    const internal = access.filter((line) => line.app === 'api' && line.route === 'internal');
    for (const user of ['alice', 'bob']) {
      expect(internal).toContainEqual(expect.objectContaining({ status: 200, user, project: 'team/art' }));
    }
    expect(access.some((line) => line.route === 'lfs_locks' && line.user === 'alice')).toBe(true);
    expect(access.some((line) => line.route === 'admin' && line.user === 'admin')).toBe(true);
    expect(access.some((line) => line.route === 'lfs_download' && line.user === 'bob')).toBe(true);
  });

  it('writes one line per finished transfer, and per refused one with its reason', () => {
    const transfers = captured.lines().filter((line) => line.transfer !== undefined);
    expect(transfers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          transfer: 'upload',
          oid: big.oid,
          size: big.data.length,
          outcome: 'ok',
          bytes: big.data.length,
          mb_per_s: expect.any(Number),
          user: 'alice',
          project: 'team/art',
        }),
        expect.objectContaining({ transfer: 'download', oid: small.oid, outcome: 'ok', user: 'bob' }),
        expect.objectContaining({
          transfer: 'upload',
          oid: '1'.repeat(64),
          outcome: 'hash_mismatch',
          reason: expect.stringContaining('hashes to'),
        }),
      ]),
    );
  });

  it('counts requests, transfers, batches, memo lookups, the pool and throttled sign-ins in one /metrics', () => {
    for (const pattern of [
      /^lfs_depot_http_requests_total\{route="lfs_batch",status="200",app="api"\} \d+/m,
      /^lfs_depot_http_requests_total\{route="lfs_batch",status="200",app="proxy"\} \d+/m,
      /^lfs_depot_http_request_duration_seconds_bucket\{le="\+Inf",route="lfs_upload",app="proxy"\} \d+/m,
      /^lfs_depot_transfers_total\{direction="upload",outcome="ok",app="proxy"\} [1-9]/m,
      /^lfs_depot_transfers_total\{direction="upload",outcome="hash_mismatch",app="proxy"\} 1$/m,
      /^lfs_depot_transfers_total\{direction="download",outcome="ok",app="proxy"\} [1-9]/m,
      /^lfs_depot_transfer_bytes_total\{direction="upload",app="proxy"\} [1-9]/m,
      /^lfs_depot_transfers_in_flight\{direction="download",app="proxy"\} 0$/m,
      /^lfs_depot_transfer_duration_seconds_count\{direction="upload",outcome="ok",app="proxy"\} [1-9]/m,
      /^lfs_depot_batch_objects_count\{operation="upload",app="api"\} [1-9]/m,
      /^lfs_depot_cache_lookups_total\{cache="access",result="hit",app="api"\} \d+/m,
      /^lfs_depot_db_pool_connections\{state="in_use",app="api"\} \d+/m,
      /^lfs_depot_db_pool_waiting\{app="api"\} \d+/m,
      /^lfs_depot_login_throttle_refusals_total\{kind="password",app="api"\} [1-9]/m,
      /^process_resident_memory_bytes\{app="proxy"\} \d+/m,
      /^process_resident_memory_bytes\{app="api"\} \d+/m,
    ]) {
      expect(metrics).toMatch(pattern);
    }
  });

  it('has a dashboard and alert rules in deploy/ that name only metrics that exist', async () => {
    const families = metricNames(metrics);
    const named = new Set<string>();
    for (const folder of ['deploy/grafana', 'deploy/prometheus']) {
      for (const file of await readdir(path.join(ROOT, folder))) {
        const text = await readFile(path.join(ROOT, folder, file), 'utf8');
        for (const match of text.matchAll(/\b(?:lfs_depot_[a-z_]+|process_[a-z_]+|nodejs_[a-z_]+)\b/g)) {
          named.add(match[0]);
        }
      }
    }
    expect(named.size).toBeGreaterThan(5);
    expect([...named].filter((name) => !isKnownMetric(name, families))).toEqual([]);
  });
});
