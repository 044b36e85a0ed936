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

const children = new Set();
let stopping = false;

function stopAll(code) {
  if (stopping) {
    return;
  }
  stopping = true;
  for (const child of children) {
    child.kill('SIGTERM');
  }
  const deadline = setTimeout(() => {
    for (const child of children) {
      child.kill('SIGKILL');
    }
  }, 20_000);
  deadline.unref();
  const waitAll = () => (children.size === 0 ? process.exit(code) : setTimeout(waitAll, 50));
  waitAll();
}

function launch(file, name) {
  return new Promise((resolve, reject) => {
    const child = fork(file, [], { stdio: 'inherit' });
    children.add(child);
    child.on('message', (message) => {
      if (message && message.ready === name) {
        resolve(child);
      }
    });
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (!stopping) {
        console.error(`lfs-depot: the ${name} exited (${signal ?? `code ${code}`}); stopping.`);
        stopAll(code || 1);
      }
      reject(new Error(`${name} exited`));
    });
  });
}

// Ctrl-C reaches the whole process group; children shut down on their own, we only wait for them.
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

try {
  await launch(apiMain, 'api');
  await launch(proxyMain, 'proxy');
} catch {
  // launch() already reported and started the shutdown.
}
