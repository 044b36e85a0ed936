// How the API process is started, shared by every launcher that forks it (scripts/start.mjs, the benchmark), so
// that what is measured is what runs.
//
// The API holds about 30 MiB of live heap once started, but start-up (loading Nest, TypeORM, the migrations)
// allocates fast enough that V8 grows its young generation to its maximum, and its four helper threads leave malloc
// arenas behind; nothing shrinks either while the API is idle, so it sat at 140-150 MiB before its first request.
// 8 MiB semi-spaces cost no measurable CPU; 2 MiB ones would save more at start but cost the API 10-30 % more CPU
// per batch and per download authorization. --expose-gc lets the API run one collection once it has been quiet for
// a few seconds (apps/api/src/bootstrap/idle-heap-trimmer.ts), which is when V8 gives the young generation back
// (bench/README.md, "Idle memory").

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Node and V8 flags of the API process. */
export const API_NODE_FLAGS = ['--max-semi-space-size=8', '--v8-pool-size=1', '--expose-gc'];

/** Environment the API process starts with (glibc reads MALLOC_ARENA_MAX once, at start). */
const API_PROCESS_ENV = { MALLOC_ARENA_MAX: '2' };

/** The variables of API_PROCESS_ENV that `environment` does not set already: an operator's own value wins. */
export function apiEnvDefaults(environment) {
  return Object.fromEntries(
    Object.entries(API_PROCESS_ENV).filter(([name]) => environment[name] === undefined),
  );
}

/**
 * The API's whole command line, as words: `env NAME=value … node FLAGS… …/main.js`, the `env` part holding only what
 * apiEnvDefaults adds. For launchers that are shells, which cannot import this module: docker-compose.yml runs
 * `exec $(node scripts/api-process.mjs)`, so the container's API runs as `npm start`'s does.
 */
export function apiCommand(environment, nodePath = process.execPath) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const env = Object.entries(apiEnvDefaults(environment)).map(([name, value]) => `${name}=${value}`);
  return [
    ...(env.length > 0 ? ['env', ...env] : []),
    nodePath,
    ...API_NODE_FLAGS,
    path.join(root, 'dist/apps/api/src/main.js'),
  ];
}

// Run directly: print that command line (words split by the shell, so the paths must have no spaces: the image's do not).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${apiCommand(process.env).join(' ')}\n`);
}
