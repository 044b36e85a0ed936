import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { freePort } from '@lfs-depot/testing';

import { withoutProductVariables } from '../../helpers/sandbox.mjs';

// The suite runs from the repository root (scripts/run-tests.mjs sets cwd) against the built apps, as operators run
// them: `node dist/apps/api/src/main.js` and `node dist/apps/proxy/src/main.js`, two processes per instance.
const root = process.cwd();
const API_MAIN = path.join(root, 'dist/apps/api/src/main.js');
const PROXY_MAIN = path.join(root, 'dist/apps/proxy/src/main.js');

/** What every instance of one deployment shares: the secrets, as README's production section says. */
export interface Deployment {
  databaseUrl: string;
  redisUrl?: string;
  /** `STORAGE`; unset = each instance's own DATA_DIR (only right for one instance). */
  storage?: string;
  /** Extra variables for every process (AWS credentials, limits). */
  env?: Record<string, string>;
  adminToken: string;
  internalSecret: string;
  /** Given to the API processes only: the proxy refuses to start with it. */
  apiSecret: string;
}

/** The secrets of a new deployment. */
export function newSecrets(): Pick<Deployment, 'adminToken' | 'internalSecret' | 'apiSecret'> {
  return {
    adminToken: `reliability-admin-${randomBytes(16).toString('hex')}`,
    internalSecret: randomBytes(32).toString('hex'),
    apiSecret: randomBytes(32).toString('hex'),
  };
}

type Role = 'api' | 'proxy';

/** One lfs-depot instance (API + proxy processes) that a test can kill -9 and start again, each app on its own. */
export class Instance {
  private readonly children = new Map<Role, ChildProcess>();
  private output = '';

  private constructor(
    readonly url: string,
    readonly dataDir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly apiSecret: string,
  ) {}

  /** Starts the API, then the proxy, on free ports with a fresh DATA_DIR. */
  static async start(deployment: Deployment): Promise<Instance> {
    const [port, apiPort] = [await freePort(), await freePort()];
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lfs-depot-reliability-'));
    await chmod(dataDir, 0o755);
    const url = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = withoutProductVariables(process.env);
    Object.assign(env, {
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: url,
      API_PORT: String(apiPort),
      DATA_DIR: dataDir,
      DATABASE_URL: deployment.databaseUrl,
      LFS_ADMIN_TOKEN: deployment.adminToken,
      INTERNAL_SECRET: deployment.internalSecret,
      LOG_LEVEL: 'warn',
      ...(deployment.redisUrl ? { REDIS_URL: deployment.redisUrl } : {}),
      ...(deployment.storage ? { STORAGE: deployment.storage } : {}),
      ...deployment.env,
    });
    const instance = new Instance(url, dataDir, env, deployment.apiSecret);
    try {
      await instance.startApp('api');
      await instance.startApp('proxy');
    } catch (error) {
      await instance.stop();
      throw error;
    }
    return instance;
  }

  /**
   * Sets (or, with undefined, removes) variables for the apps started from now on: a restart with another
   * configuration, as an operator's.
   */
  configure(variables: Record<string, string | undefined>): void {
    for (const [name, value] of Object.entries(variables)) {
      if (value === undefined) {
        delete this.env[name];
      } else {
        this.env[name] = value;
      }
    }
  }

  /** Everything both processes printed so far (for failure messages). */
  log(): string {
    return this.output;
  }

  pid(role: Role): number {
    const pid = this.children.get(role)?.pid;
    if (pid === undefined) {
      throw new Error(`the ${role} is not running`);
    }
    return pid;
  }

  /** Whether the app's process is still running (it has not crashed). */
  isRunning(role: Role): boolean {
    const child = this.children.get(role);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Starts one app and resolves once it says it is ready (listening). */
  startApp(role: Role): Promise<void> {
    const child = fork(role === 'api' ? API_MAIN : PROXY_MAIN, [], {
      env: role === 'api' ? { ...this.env, API_SECRET: this.apiSecret } : this.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.children.set(role, child);
    const keep = (chunk: Buffer): void => {
      // The last 64 KiB are plenty to explain a failure.
      this.output = (this.output + `[${role}] ${chunk.toString()}`).slice(-65_536);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null): void =>
        reject(new Error(`the ${role} exited (${signal ?? `code ${code}`}) during startup:\n${this.output}`));
      child.once('exit', onExit);
      child.on('message', (message: { ready?: string } | null) => {
        if (message?.ready === role) {
          child.off('exit', onExit);
          resolve();
        }
      });
    });
  }

  /** kill -9 of one app; resolves once the process is gone. */
  async kill(role: Role): Promise<void> {
    const child = this.children.get(role);
    this.children.delete(role);
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  }

  /** Stops the proxy, then the API (SIGTERM, SIGKILL after 20 s), and removes DATA_DIR. */
  async stop(): Promise<void> {
    for (const role of ['proxy', 'api'] as const) {
      const child = this.children.get(role);
      this.children.delete(role);
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        continue;
      }
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
