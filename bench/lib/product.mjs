// Starts lfs-depot the way `npm start` does (scripts/start.mjs): the built API and proxy as two child processes,
// each waiting for the other's `ready` message, with the environment the benchmark chooses.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

import { API_NODE_FLAGS, apiEnvDefaults } from '../../scripts/api-process.mjs';
import { PROXY_NODE_FLAGS } from '../../scripts/proxy-process.mjs';
import { adminClient as sandboxAdminClient, withoutProductVariables } from '../../test/helpers/sandbox.mjs';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const API_MAIN = path.join(ROOT, 'dist/apps/api/src/main.js');
const PROXY_MAIN = path.join(ROOT, 'dist/apps/proxy/src/main.js');

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts API + proxy with DATA_DIR `dataDir`; `env` adds DATABASE_URL, REDIS_URL, STORAGE, AWS_* as wanted.
 * `proxyExecArgv` / `apiExecArgv` pass node flags (e.g. --cpu-prof). Output goes to `logDir/<name>.log`.
 */
export async function startProduct({
  name,
  dataDir,
  env = {},
  proxyExecArgv = [],
  apiExecArgv = [],
  logDir,
}) {
  const [port, apiPort] = [await freePort(), await freePort()];
  const adminToken = `bench-admin-${randomBytes(16).toString('hex')}`;
  const internalSecret = randomBytes(32).toString('hex');
  const url = `http://127.0.0.1:${port}`;
  const baseEnv = withoutProductVariables(process.env);
  const productEnv = {
    ...baseEnv,
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: url,
    API_PORT: String(apiPort),
    DATA_DIR: dataDir,
    LFS_ADMIN_TOKEN: adminToken,
    INTERNAL_SECRET: internalSecret,
    // Access and transfer lines on, as in production (JSON into the log file); BENCH_LOG_LEVEL=warn measures without.
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'log',
    ...env,
  };
  const logFile = path.join(logDir, `${name}.log`);
  // The children write their lines straight into the file, as under `npm start` (whose children inherit its
  // output): relaying them through pipes into this process cost it ~0.09 ms of CPU per batch request, on the same
  // two cores as the product (bench/README.md, "Batch rate").
  let log = openSync(logFile, 'a');
  const children = [];

  const launch = (file, role, execArgv, env = productEnv) =>
    new Promise((resolve, reject) => {
      const child = fork(file, [], { env, execArgv, stdio: ['ignore', log, log, 'ipc'] });
      children.push(child);
      child.on('message', (message) => message?.ready === role && resolve(child));
      child.once('exit', (code, signal) =>
        reject(
          new Error(
            `the ${role} exited (${signal ?? `code ${code}`}) during startup; see ${logFile}:\n${tail(logFile)}`,
          ),
        ),
      );
    });

  const stop = async () => {
    // Proxy first, then the API (which stops its embedded PostgreSQL last), as on Ctrl-C.
    for (const child of [...children].reverse()) {
      await stopChild(child);
    }
    await stopOrphanPostgres(dataDir);
    if (log !== undefined) {
      closeSync(log);
      log = undefined;
    }
  };
  try {
    // With the flags and environment npm start gives the API (scripts/api-process.mjs).
    const api = await launch(API_MAIN, 'api', [...API_NODE_FLAGS, ...apiExecArgv], {
      ...apiEnvDefaults(productEnv),
      ...productEnv,
    });
    // With the flags npm start gives the proxy (scripts/proxy-process.mjs).
    const proxy = await launch(PROXY_MAIN, 'proxy', [...PROXY_NODE_FLAGS, ...proxyExecArgv]);
    return { url, adminToken, apiPid: api.pid, proxyPid: proxy.pid, logFile, stop, dataDir };
  } catch (error) {
    await stop();
    throw error;
  }
}

function tail(file) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** If the API died without stopping its embedded PostgreSQL, stop that server by the pid in its postmaster.pid. */
async function stopOrphanPostgres(dataDir) {
  const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(pidFile)) {
    return;
  }
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!pid) {
    return;
  }
  try {
    process.kill(pid, 'SIGINT'); // PostgreSQL "fast shutdown"
  } catch {
    return; // already gone
  }
  for (let i = 0; i < 200; i += 1) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The connection URL of the embedded PostgreSQL an API started in `dataDir` (port from postmaster.pid). */
export async function embeddedDatabaseUrl(dataDir) {
  const lines = (await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n');
  const password = (await readFile(path.join(dataDir, 'postgres.password'), 'utf8')).trim();
  return `postgres://lfs_depot:${encodeURIComponent(password)}@127.0.0.1:${lines[3].trim()}/postgres`;
}

/** The admin API client the tests use (through the proxy, which forwards it), plus the benchmark's set-up. */
export function adminClient(url, token) {
  const admin = sandboxAdminClient(url, token);
  return {
    ...admin,
    /** Creates a user with a password and an access token, and a project they may write to. */
    async setUp(project, username) {
      const password = randomBytes(12).toString('hex');
      await admin.ok('POST', '/users', { username, password });
      const { token: accessToken } = await admin.ok('POST', `/users/${username}/tokens`, { name: 'bench' });
      await admin.ok('POST', '/projects', { path: project });
      await admin.ok('PUT', `/projects/${encodeURIComponent(project)}/members/${username}`, {
        role: 'maintainer',
      });
      return {
        username,
        password,
        token: accessToken,
        basic: `Basic ${Buffer.from(`${username}:${accessToken}`).toString('base64')}`,
      };
    },
  };
}

/**
 * Samples a process's resident memory: resets the kernel's high-water mark when it can (writing 5 to
 * /proc/<pid>/clear_refs, Linux ≥ 4.0) and also polls VmRSS, so `stop()` returns the peak in MiB for the interval.
 */
export function rssSampler(pid, intervalMs = 25) {
  const statusFile = `/proc/${pid}/status`;
  const read = (field) => {
    try {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(statusFile, 'utf8'));
      return match ? Number(match[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  };
  let hwmReset = false;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    hwmReset = true;
  } catch {
    hwmReset = false;
  }
  let peak = read('VmRSS');
  const timer = setInterval(() => {
    peak = Math.max(peak, read('VmRSS'));
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, read('VmRSS'));
      if (hwmReset) {
        peak = Math.max(peak, read('VmHWM'));
      }
      return peak;
    },
  };
}

/**
 * Counts a process's CPU time (user + system, from /proc/<pid>/stat) from now on: `stop()` returns the seconds it
 * used in the interval, or null where /proc cannot be read.
 */
export function cpuSampler(pid) {
  const read = () => {
    try {
      // Fields after the command name, which sits in parentheses and may contain spaces: utime and stime are the
      // 14th and 15th fields of the line, in clock ticks (100 a second on Linux).
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
    } catch {
      return null;
    }
  };
  const start = read();
  /** Seconds of user and of system (kernel) CPU since the start; null where /proc was unreadable. */
  const parts = () => {
    const end = read();
    return start === null || end === null
      ? null
      : { user: end.user - start.user, system: end.system - start.system };
  };
  return {
    /** Seconds of CPU (user + system) since the start; null where /proc was unreadable. */
    stop() {
      const spent = parts();
      return spent === null ? null : spent.user + spent.system;
    },
    parts,
  };
}
