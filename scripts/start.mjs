#!/usr/bin/env node
// `npm start`: build if needed, then run the API and the proxy side by side until Ctrl-C.
// Both are child processes so each is the same program that runs in production (docker-compose runs them apart).
import { fork, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

function launch(file, name) {
  return new Promise((resolve, reject) => {
    // Own process groups: Ctrl-C reaches only this script, which then stops the apps in order.
    const child = fork(file, [], { stdio: 'inherit', detached: true });
    children.set(name, child);
    child.on('message', (message) => {
      if (message && message.ready === name) {
        resolve(child);
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

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  await launch(apiMain, 'api');
  await launch(proxyMain, 'proxy');
} catch {
  // launch() already reported and started the shutdown.
}
