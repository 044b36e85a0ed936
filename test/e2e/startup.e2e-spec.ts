import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@lfs-depot/testing';

// The suite always runs from the repository root (scripts/run-tests.mjs sets cwd).
const root = process.cwd();

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs `npm start`'s script (or `npm start` itself) in its own process group, as a terminal would. */
function start(env: Record<string, string>, viaNpm = false): Started {
  const [command, args] = viaNpm
    ? ['npm', ['start', '--silent']]
    : [process.execPath, [path.join(root, 'scripts/start.mjs')]];
  const child = spawn(command, args, {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(started: Started, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!started.output().includes(text)) {
    if (Date.now() > deadline || started.child.exitCode !== null) {
      throw new Error(`did not see ${JSON.stringify(text)}; output:\n${started.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every process below `pid` (children, grandchildren, …). */
function descendantsOf(pid: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [child, ppid] of rows) {
      if (ppid === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until none of `pids` runs; returns the ones still running at the deadline. */
async function survivorsOf(pids: number[], timeoutMs = 30_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(isRunning);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = left.filter(isRunning);
  }
  return left;
}

function withoutColours(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

function postgresProcessesUsing(dataDir: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(dataDir) && line.includes('postgres'));
}

describe('npm start with embedded defaults', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lfs-depot-start-'));
    await chmod(dataDir, 0o755);
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves, shuts down cleanly on Ctrl-C, and reuses its data on restart', async () => {
    const env = {
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      API_PORT: String(await freePort()),
      LFS_ADMIN_TOKEN: 'startup-test-admin-token',
    };
    const base = `http://127.0.0.1:${env.PORT}`;
    const first = start(env);
    await waitFor(first, 'lfs-depot listening');
    expect((await fetch(`${base}/-/readiness`)).status).toBe(200);
    const created = await fetch(`${base}/api/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.LFS_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'kept/across-restarts' }),
    });
    expect(created.status).toBe(201);

    process.kill(-first.child.pid!, 'SIGINT');
    expect(await first.exited).toBe(0);
    expect(postgresProcessesUsing(dataDir)).toEqual([]);

    const second = start(env);
    await waitFor(second, 'lfs-depot listening');
    const shown = await fetch(`${base}/api/v1/projects/${encodeURIComponent('kept/across-restarts')}`, {
      headers: { authorization: `Bearer ${env.LFS_ADMIN_TOKEN}` },
    });
    expect(shown.status).toBe(200);
    process.kill(-second.child.pid!, 'SIGINT');
    expect(await second.exited).toBe(0);
    expect(postgresProcessesUsing(dataDir)).toEqual([]);
  });

  it('stops with an error when the embedded PostgreSQL dies', async () => {
    const env = { DATA_DIR: dataDir, PORT: String(await freePort()), API_PORT: String(await freePort()) };
    const started = start(env);
    await waitFor(started, 'lfs-depot listening');
    const [postmaster] = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(`-D ${path.join(dataDir, 'postgres')}`));
    expect(postmaster).toBeDefined();
    process.kill(Number((postmaster ?? '').trim().split(/\s+/)[0]), 'SIGKILL');
    expect(await started.exited).not.toBe(0);
    expect(started.output()).toContain('stopped unexpectedly');
  });

  it('recovers the embedded PostgreSQL left running by an API that was killed', async () => {
    const env = { DATA_DIR: dataDir, PORT: String(await freePort()), API_PORT: String(await freePort()) };
    const first = start(env);
    await waitFor(first, 'lfs-depot listening');
    const apiPid = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(first.child.pid)], {
      encoding: 'utf8',
    })
      .split('\n')
      .find((line) => line.includes('dist/apps/api/src/main.js'))
      ?.trim()
      .split(/\s+/)[0];
    expect(apiPid).toBeDefined();
    process.kill(Number(apiPid), 'SIGKILL');
    expect(await first.exited).not.toBe(0);
    expect(postgresProcessesUsing(dataDir).length).toBeGreaterThan(0);

    const second = start(env);
    await waitFor(second, 'lfs-depot listening');
    expect(second.output()).toContain('left running on');
    process.kill(-second.child.pid!, 'SIGINT');
    expect(await second.exited).toBe(0);
    expect(postgresProcessesUsing(dataDir)).toEqual([]);
  });

  it('refuses to start with one message naming every bad variable', async () => {
    const started = start({
      DATA_DIR: dataDir,
      PORT: 'eighty',
      STORAGE: 's3://bucket',
      REDIS_URL: 'nope',
      LFS_ADMIN_TOKEN: 'change-me-to-a-long-random-admin-token',
    });
    expect(await started.exited).not.toBe(0);
    const output = started.output();
    expect(output).toContain('Invalid configuration');
    expect(output).toContain('PORT');
    expect(output).toContain('STORAGE');
    expect(output).toContain('REDIS_URL');
    expect(output).toContain('LFS_ADMIN_TOKEN is a placeholder');
  });

  it('creates DATA_DIR and its secrets readable only by their owner, embedded PostgreSQL included', async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'lfs-depot-token-'));
    await chmod(parent, 0o755);
    const dir = path.join(parent, 'data');
    try {
      const started = start({
        DATA_DIR: dir,
        PORT: String(await freePort()),
        API_PORT: String(await freePort()),
      });
      await waitFor(started, 'lfs-depot listening');
      expect(started.output()).toContain(path.join(dir, 'admin-token'));
      const { statSync } = await import('node:fs');
      expect(statSync(path.join(dir, 'admin-token')).mode & 0o777).toBe(0o600);
      expect(statSync(path.join(dir, 'internal-secret')).mode & 0o777).toBe(0o600);
      expect(statSync(path.join(dir, 'api-secret')).mode & 0o777).toBe(0o600);
      // Others may at most pass through (as root, the embedded PostgreSQL's user must reach its cluster inside).
      expect(statSync(dir).mode & 0o066).toBe(0);
      expect(statSync(path.join(dir, 'postgres')).mode & 0o077).toBe(0);
      process.kill(-started.child.pid!, 'SIGINT');
      expect(await started.exited).toBe(0);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('starts the proxy without API_SECRET, the admin token or the database URL in its environment', async () => {
    const apiSecret = 'startup-test-api-secret-Qx7vR2mK9pL4wZ8n';
    const started = start({
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      API_PORT: String(await freePort()),
      API_SECRET: apiSecret,
      LFS_ADMIN_TOKEN: 'startup-test-admin-token',
    });
    await waitFor(started, 'lfs-depot listening');
    const environmentOf = (main: string): Record<string, string> => {
      const pid = descendantsOf(started.child.pid!).find((candidate) =>
        readFileSync(`/proc/${candidate}/cmdline`, 'utf8').includes(main),
      );
      expect(pid).toBeDefined();
      return Object.fromEntries(
        readFileSync(`/proc/${pid}/environ`, 'utf8')
          .split('\0')
          .filter(Boolean)
          .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
      );
    };

    const proxy = environmentOf('dist/apps/proxy/src/main.js');
    const api = environmentOf('dist/apps/api/src/main.js');

    expect(api.API_SECRET).toBe(apiSecret);
    expect(
      Object.keys(proxy).filter((name) => ['API_SECRET', 'LFS_ADMIN_TOKEN', 'DATABASE_URL'].includes(name)),
    ).toEqual([]);
    expect(proxy.DATA_DIR).toBe(dataDir);
    process.kill(-started.child.pid!, 'SIGINT');
    expect(await started.exited).toBe(0);
  });

  it('refuses to start a proxy whose environment holds API_SECRET', async () => {
    const proxy = spawn(process.execPath, [path.join(root, 'dist/apps/proxy/src/main.js')], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        DATA_DIR: dataDir,
        PORT: String(await freePort()),
        API_SECRET: 'startup-test-api-secret-Qx7vR2mK9pL4wZ8n',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proxy.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => proxy.on('exit', resolve));

    expect(code).toBe(1);
    expect(output).toContain("lfs-depot: API_SECRET is set in the proxy's environment");
  });

  it('refuses to start while a secret file in DATA_DIR is readable by others', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lfs-depot-loose-'));
    await chmod(dir, 0o755);
    try {
      await writeFile(path.join(dir, 'internal-secret'), `${'k'.repeat(8)}-${Date.now()}\n`, { mode: 0o644 });
      await chmod(path.join(dir, 'internal-secret'), 0o644);
      const started = start({
        DATA_DIR: dir,
        PORT: String(await freePort()),
        API_PORT: String(await freePort()),
      });
      expect(await started.exited).not.toBe(0);
      expect(started.output()).toContain(`${path.join(dir, 'internal-secret')} has mode 0644`);
      expect(started.output()).toContain(`chmod 600 ${path.join(dir, 'internal-secret')}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a second start on the same DATA_DIR, naming the running one, which keeps serving', async () => {
    const env = { DATA_DIR: dataDir, PORT: String(await freePort()), API_PORT: String(await freePort()) };
    const first = start(env);
    await waitFor(first, 'lfs-depot listening');
    const apiPid = descendantsOf(first.child.pid!).find((pid) =>
      execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).includes(
        'apps/api/src/main.js',
      ),
    );
    const postgresBefore = postgresProcessesUsing(dataDir);

    const second = start({
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      API_PORT: String(await freePort()),
    });
    expect(await second.exited).not.toBe(0);
    expect(withoutColours(second.output())).toContain(
      `lfs-depot: DATA_DIR ${dataDir} is in use by another lfs-depot instance (scripts/start.mjs pid ` +
        `${first.child.pid}, API pid ${apiPid}, PORT ${env.PORT}, API_PORT ${env.API_PORT}, since `,
    );
    expect(first.child.exitCode).toBeNull();
    expect(postgresProcessesUsing(dataDir)).toEqual(postgresBefore);
    expect((await fetch(`http://127.0.0.1:${env.PORT}/-/readiness`)).status).toBe(200);

    process.kill(-first.child.pid!, 'SIGINT');
    expect(await first.exited).toBe(0);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'stops everything when only the `npm start` process gets %s, and PORT=0 hrefs name the real port',
    async (signal) => {
      const env = {
        DATA_DIR: dataDir,
        PORT: '0',
        API_PORT: '0',
        LFS_ADMIN_TOKEN: 'startup-test-admin-token',
      };
      const started = start(env, true);
      await waitFor(started, 'lfs-depot listening');
      const [, port] = /public URL http:\/\/127\.0\.0\.1:(\d+)\)/.exec(started.output()) ?? [];
      expect(Number(port)).toBeGreaterThan(0);
      const base = `http://127.0.0.1:${port}`;
      const admin = { authorization: `Bearer ${env.LFS_ADMIN_TOKEN}`, 'content-type': 'application/json' };
      const project = `ports/${signal.toLowerCase()}`;
      for (const [url, body] of [
        ['/api/v1/users', { username: `port-${signal.toLowerCase()}` }],
        ['/api/v1/projects', { path: project, visibility: 'public' }],
      ] as const) {
        const created = await fetch(`${base}${url}`, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify(body),
        });
        expect([201, 409]).toContain(created.status);
      }
      const authenticated = await fetch(
        `${base}/api/v1/projects/${encodeURIComponent(project)}/lfs-authenticate`,
        {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({ username: `port-${signal.toLowerCase()}`, operation: 'download' }),
        },
      );
      expect(((await authenticated.json()) as { href?: string }).href).toBe(
        `${base}/${project}.git/info/lfs`,
      );

      const everything = descendantsOf(started.child.pid!);
      expect(everything.length).toBeGreaterThanOrEqual(3); // the script, the API, the proxy, PostgreSQL's
      process.kill(started.child.pid!, signal);
      expect(await started.exited).toBe(0);
      expect(await survivorsOf(everything)).toEqual([]);
      expect(postgresProcessesUsing(dataDir)).toEqual([]);
    },
  );

  it('removes upload temp files older than a day, left by uploads that were killed, when it starts', async () => {
    const tempDir = path.join(dataDir, 'objects', 'tmp');
    await mkdir(tempDir, { recursive: true, mode: 0o700 });
    const crashed = path.join(tempDir, 'crashed-by-kill-9.part');
    const young = path.join(tempDir, 'young.part');
    await writeFile(crashed, 'partial', { mode: 0o600 });
    await writeFile(young, 'partial', { mode: 0o600 });
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    await utimes(crashed, twoDaysAgo, twoDaysAgo);
    const started = start({
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      API_PORT: String(await freePort()),
    });
    try {
      await waitFor(started, 'removed 1 upload temp file(s) left by uploads that never finished');
      expect(existsSync(crashed)).toBe(false);
      expect(existsSync(young)).toBe(true);
    } finally {
      process.kill(-started.child.pid!, 'SIGINT');
      await started.exited;
      await rm(young, { force: true });
    }
  });

  it('stops the apps and their PostgreSQL when the start script itself is killed', async () => {
    const env = { DATA_DIR: dataDir, PORT: String(await freePort()), API_PORT: String(await freePort()) };
    const started = start(env);
    await waitFor(started, 'lfs-depot listening');
    const everything = descendantsOf(started.child.pid!);
    process.kill(started.child.pid!, 'SIGKILL');
    expect(await survivorsOf(everything)).toEqual([]);
    expect(postgresProcessesUsing(dataDir)).toEqual([]);
  });

  it.each(['PORT', 'API_PORT'] as const)(
    'reports %s already in use in one line, leaving nothing running',
    async (variable) => {
      const taken = net.createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const takenPort = (taken.address() as net.AddressInfo).port;
      try {
        const env = { DATA_DIR: dataDir, PORT: String(await freePort()), API_PORT: String(await freePort()) };
        env[variable] = String(takenPort);
        const started = start(env);
        expect(await started.exited).not.toBe(0);
        const output = withoutColours(started.output());
        expect(output).toContain(`lfs-depot: ${variable}=${takenPort} is already in use on 127.0.0.1`);
        expect(output).not.toMatch(/^\s+at /m);
        expect(output).not.toContain('EADDRINUSE');
        expect(postgresProcessesUsing(dataDir)).toEqual([]);
      } finally {
        await new Promise((resolve) => taken.close(resolve));
      }
    },
  );

  it('reports an unreachable DATABASE_URL in one line', async () => {
    const started = start({
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      API_PORT: String(await freePort()),
      DATABASE_URL: `postgres://lfs:pw-never-printed@127.0.0.1:${await freePort()}/lfs`,
    });
    expect(await started.exited).not.toBe(0);
    const output = withoutColours(started.output());
    expect(output).toMatch(
      /lfs-depot: DATABASE_URL postgres:\/\/lfs:\*\*\*@127\.0\.0\.1:\d+\/lfs is not reachable: connect ECONNREFUSED/,
    );
    expect(output).not.toContain('pw-never-printed');
    expect(output).not.toMatch(/^\s+at /m);
  });
});
