import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { freePort } from '@lfs-depot/testing';
import pg from 'pg';

const execFileAsync = promisify(execFile);

/** A PostgreSQL server of the test's own, on a free loopback port: it may be stopped and restarted at will. */
export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:<port>/<database>`. */
  url: string;
  port: number;
  /** Fast shutdown (`pg_ctl stop -m fast`): every connection is cut, as when an operator restarts the server. */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops the server for good and removes its data directory. */
  destroy(): Promise<void>;
}

/** Debian's PostgreSQL binaries (the newest installed major version), or undefined when none is installed. */
export function postgresBinaries(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) {
    return undefined;
  }
  const [newest] = readdirSync(base)
    .filter((version) => existsSync(path.join(base, version, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return newest === undefined ? undefined : path.join(base, newest, 'bin');
}

/** PostgreSQL refuses to run as root; as root the cluster belongs to and runs as the `postgres` user. */
async function runAs(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) {
    return undefined;
  }
  const [uid, gid] = await Promise.all(
    ['-u', '-g'].map(async (flag) => Number((await execFileAsync('id', [flag, 'postgres'])).stdout.trim())),
  );
  return { uid: uid ?? 0, gid: gid ?? 0 };
}

function run(
  file: string,
  args: string[],
  account: { uid: number; gid: number } | undefined,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      ...account,
      // pg_ctl start leaves the postmaster running with these pipes unless it gets a log file (-l).
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${path.basename(file)} ${args.join(' ')} exited ${code}:\n${output}`)),
    );
  });
}

/**
 * initdb + pg_ctl start a fresh cluster (trust authentication, loopback only, a free port), with one database for
 * the product. Never the machine's shared PostgreSQL. The data directory lies under TMPDIR, which `npm test` points
 * at a folder the `postgres` user can reach.
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = postgresBinaries();
  if (!bin) {
    throw new Error('the reliability suite needs PostgreSQL server binaries in /usr/lib/postgresql/*/bin');
  }
  const account = await runAs();
  const base = await mkdtemp(path.join(os.tmpdir(), 'lfs-depot-reliability-pg-'));
  await chmod(base, 0o755);
  const dataDir = path.join(base, 'data');
  const logFile = path.join(base, 'server.log');
  if (account) {
    await chown(base, account.uid, account.gid);
  }
  await run(
    path.join(bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'],
    account,
  );
  const port = await freePort();
  await writeFile(
    path.join(dataDir, 'postgresql.auto.conf'),
    [
      `port = ${port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${base}'`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'max_connections = 200',
      '',
    ].join('\n'),
  );
  if (account) {
    await chown(path.join(dataDir, 'postgresql.auto.conf'), account.uid, account.gid);
  }
  const pgCtl = path.join(bin, 'pg_ctl');
  const start = async (): Promise<void> => {
    await run(pgCtl, ['start', '-w', '-t', '120', '-D', dataDir, '-l', logFile], account);
  };
  const stop = async (): Promise<void> => {
    await run(pgCtl, ['stop', '-w', '-t', '120', '-m', 'fast', '-D', dataDir], account);
  };
  await start();
  const database = 'lfs_depot';
  const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  let destroyed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    port,
    start,
    stop,
    async destroy() {
      if (destroyed) {
        return;
      }
      destroyed = true;
      await run(pgCtl, ['stop', '-w', '-t', '120', '-m', 'immediate', '-D', dataDir], account).catch(
        () => undefined, // already stopped
      );
      await rm(base, { recursive: true, force: true });
    },
  };
}
