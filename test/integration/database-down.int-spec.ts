import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@lfs-depot/testing';

import type { ApiHarness } from '../helpers/api-harness.js';
import { adminClient, startApiHarness } from '../helpers/api-harness.js';

/** Debian's PostgreSQL server binaries (postgresql-NN), newest first. */
async function postgresBin(): Promise<string> {
  const base = '/usr/lib/postgresql';
  const versions = (await readdir(base).catch(() => [])).sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) {
    throw new Error('This test needs initdb and pg_ctl: apt-get install postgresql');
  }
  return path.join(base, versions[0] ?? '', 'bin');
}

/**
 * A PostgreSQL cluster of this test's own on a free port, which it may stop and start at will (never the machine's
 * shared one). As root it runs as `postgres`, which PostgreSQL insists on.
 */
class OwnPostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<OwnPostgres> {
    const dir = await mkdtemp(path.join('/tmp', 'lfs-depot-pgdown-'));
    await chmod(dir, 0o755);
    const cluster = new OwnPostgres(await postgresBin(), dir, await freePort());
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
      await chown(dir, uid, gid);
    }
    cluster.run('initdb', ['-D', cluster.data, '-U', 'lfs', '--auth=trust', '--encoding=UTF8']);
    return cluster;
  }

  get data(): string {
    return path.join(this.dir, 'data');
  }

  get url(): string {
    return `postgres://lfs@127.0.0.1:${this.port}/postgres`;
  }

  private run(tool: string, args: string[]): void {
    const command = path.join(this.bin, tool);
    const [file, argv] =
      process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    execFileSync(file, argv, { stdio: 'pipe', cwd: '/tmp' });
  }

  start(): void {
    this.run('pg_ctl', [
      '-D',
      this.data,
      '-w',
      '-l',
      path.join(this.dir, 'log'),
      '-o',
      `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
      'start',
    ]);
  }

  stop(): void {
    this.run('pg_ctl', ['-D', this.data, '-w', '-m', 'immediate', 'stop']);
  }

  async remove(): Promise<void> {
    try {
      this.stop();
    } catch {
      // Already stopped.
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

describe('while PostgreSQL is down', () => {
  let postgres: OwnPostgres;
  let api: ApiHarness;
  let admin: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    postgres = await OwnPostgres.create();
    postgres.start();
    api = await startApiHarness({}, { databaseUrl: postgres.url });
    admin = adminClient(api.url);
    expect((await admin.createProject('down/project')).status).toBe(201);
  });

  afterAll(async () => {
    await api?.close();
    await postgres?.remove();
  });

  it('answers 503 with Retry-After instead of 500, and serves again once it is back', async () => {
    postgres.stop();
    for (const [method, urlPath, body] of [
      ['GET', '/projects/down%2Fproject', undefined],
      ['POST', '/users', { username: 'while-down' }],
      ['GET', '/projects/down%2Fproject/statistics', undefined],
    ] as const) {
      const answer = await admin.call(method, urlPath, body);
      expect({ urlPath, status: answer.status }).toEqual({ urlPath, status: 503 });
      expect(answer.headers.get('retry-after')).toBe('5');
      expect(answer.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retry_after_seconds: 5 });
    }
    const batch = await fetch(`${api.url}/down/project.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: {
        accept: 'application/vnd.git-lfs+json',
        'content-type': 'application/vnd.git-lfs+json',
        authorization: `Basic ${Buffer.from('nobody:some-password').toString('base64')}`,
      },
      body: JSON.stringify({ operation: 'download', objects: [] }),
    });
    expect(batch.status).toBe(503);
    expect(batch.headers.get('retry-after')).toBe('5');

    postgres.start();
    expect((await admin.call('GET', '/projects/down%2Fproject')).status).toBe(200);
  });
});
