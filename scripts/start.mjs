#!/usr/bin/env node
// `npm start`: build if needed, then run the API and the proxy side by side until Ctrl-C.
// Both are child processes so each is the same program that runs in production (docker-compose runs them apart).
import { fork, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { API_NODE_FLAGS, apiEnvDefaults } from './api-process.mjs';
import { PROXY_NODE_FLAGS } from './proxy-process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const apiMain = path.join(root, 'dist/apps/api/src/main.js');
const proxyMain = path.join(root, 'dist/apps/proxy/src/main.js');

// tsc -b is incremental: when nothing changed it only compares timestamps.
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
if (existsSync(tsc)) {
  const build = spawnSync(process.execPath, [tsc, '-b', path.join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    console.error('lfs-depot: the build failed; see the errors above.');
    process.exit(1);
  }
} else if (!existsSync(apiMain)) {
  console.error('lfs-depot: not built and TypeScript is not installed; run `npm ci` first.');
  process.exit(1);
}

const children = new Map();
let stopping = false;

function exitOf(child) {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', resolve));
}

async function stopChild(name, graceMs) {
  const child = children.get(name);
  if (!child) {
    return;
  }
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exitOf(child);
  clearTimeout(timer);
}

/** The proxy stops first, finishing the transfers it has; the API stays up for their finalize calls, then stops. */
async function stopAll(code) {
  if (stopping) {
    return;
  }
  stopping = true;
  await stopChild('proxy', 15_000);
  await stopChild('api', 20_000);
  process.exit(code);
}

/**
 * What only the API may know. The public proxy is the part most exposed to attack, so it is started without them:
 * API_SECRET mints transfer tokens and upload tickets (the proxy refuses to start holding it), the admin token makes
 * its holder admin, and the database URL carries the database password.
 */
const API_ONLY_VARIABLES = ['API_SECRET', 'LFS_ADMIN_TOKEN', 'DATABASE_URL'];

function launch(file, name, env = {}, listener = undefined, omit = [], nodeFlags = []) {
  return new Promise((resolve, reject) => {
    const inherited = { ...process.env };
    for (const variable of omit) {
      delete inherited[variable];
    }
    // Own process groups: Ctrl-C reaches only this script, which then stops the apps in order.
    const child = fork(file, [], {
      execArgv: [...process.execArgv, ...nodeFlags],
      stdio: 'inherit',
      detached: true,
      env: { ...inherited, ...env, LFS_DEPOT_START_PID: String(process.pid) },
    });
    children.set(name, child);
    child.on('message', (message) => {
      if (message && message.ready === name) {
        resolve(message);
      } else if (message && message.wants === 'listener' && listener) {
        child.send({ listener: true }, listener);
      }
    });
    child.on('exit', (code, signal) => {
      children.delete(name);
      if (!stopping) {
        console.error(`lfs-depot: the ${name} exited (${signal ?? `code ${code}`}); stopping.`);
        void stopAll(code || 1);
      }
      reject(new Error(`${name} exited`));
    });
  });
}

/**
 * PORT=0 asks for any free port, but the API must know it before it hands out hrefs, and before the proxy starts.
 * So this script binds it, tells both apps the real port, and hands the bound socket to the proxy.
 */
async function bindPublicPort() {
  const host = process.env.HOST?.trim() || '127.0.0.1';
  const server = net.createServer();
  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, resolve);
    });
  } catch (error) {
    console.error(`lfs-depot: cannot listen on HOST=${host} with PORT=0 (${error.code ?? error.message})`);
    process.exit(1);
  }
  return { server, port: server.address().port };
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => void stopAll(0));
}
// `npm start` runs this under `sh -c`; were npm or the shell killed without the signal reaching us (kill -9, or a
// shell that does not forward it), the apps must not be left running unsupervised.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) {
    console.error('lfs-depot: the process that started this one is gone; stopping.');
    void stopAll(0);
  }
}, 500).unref();

try {
  const publicListener = process.env.PORT?.trim() === '0' ? await bindPublicPort() : undefined;
  const shared = publicListener ? { PORT: String(publicListener.port) } : {};
  const api = await launch(
    apiMain,
    'api',
    { ...apiEnvDefaults(process.env), ...shared },
    undefined,
    [],
    API_NODE_FLAGS,
  );
  const proxyEnv = { ...shared };
  if (process.env.API_PORT?.trim() === '0' && !process.env.API_URL?.trim() && typeof api.port === 'number') {
    proxyEnv.API_URL = `http://127.0.0.1:${api.port}`;
  }
  if (publicListener) {
    proxyEnv.LFS_DEPOT_INHERIT_LISTENER = '1';
  }
  await launch(proxyMain, 'proxy', proxyEnv, publicListener?.server, API_ONLY_VARIABLES, PROXY_NODE_FLAGS);
  // The proxy has its own copy of the socket now.
  publicListener?.server.close();
} catch {
  // launch() already reported and started the shutdown.
}
