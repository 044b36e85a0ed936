// How the proxy process is started, shared by every launcher that forks it (scripts/start.mjs, the benchmark, the
// image and docker-compose.yml through the printed command line), so that what is measured is what runs.
//
// --initial-old-space-size: V8 counts the ArrayBuffer bytes allocated since its last full collection against the old
// generation's room to grow. The proxy allocates a fresh buffer for every socket read (and the HTTP parser copies each
// body chunk into another), nearly all dead by the next scavenge; but with the default limit, about twice the proxy's
// ~12 MiB heap, what is in flight between two scavenges of 16 concurrent uploads exceeds that room, and V8 ran a full
// mark-compact that found nothing to free dozens of times per GiB uploaded: a quarter of the proxy's CPU on S3
// uploads, most of it on V8's helper threads. 64 MiB is room enough for it; 32 was not. It is a limit, not a
// reservation: the heap keeps its size and the RSS did not move (bench/README.md, "S3: where the proxy's CPU per GiB
// went").

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Node and V8 flags of the proxy process. */
export const PROXY_NODE_FLAGS = ['--initial-old-space-size=64'];

/**
 * The proxy's whole command line, as words: `node FLAGS… …/main.js`. For launchers that are shells, which cannot
 * import this module: the image and docker-compose.yml run `exec $(node scripts/proxy-process.mjs)`.
 */
export function proxyCommand(nodePath = process.execPath) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  return [nodePath, ...PROXY_NODE_FLAGS, path.join(root, 'dist/apps/proxy/src/main.js')];
}

// Run directly: print that command line (words split by the shell, so the paths must have no spaces: the image's do not).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${proxyCommand().join(' ')}\n`);
}
