// Resident memory of a freshly started lfs-depot, before its first request: what an idle instance costs its host.
import { readFileSync } from 'node:fs';

import { row } from '../lib/report.mjs';

/** A process's resident memory in MiB (VmRSS of /proc/<pid>/status), or null where /proc cannot be read. */
function residentMiB(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Reads both apps' resident memory 2 s after both said they were ready (start-up's heap, still held) and again
 * `settleMs` after that, once an idle API has collected and given its start-up young generation back (it waits for
 * about six quiet seconds: apps/api/src/bootstrap/idle-heap-trimmer.ts), before the benchmark sends anything.
 */
export async function idleMemoryAfterStart(product, settleMs = 8000) {
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const early = { proxy: residentMiB(product.proxyPid), api: residentMiB(product.apiPid) };
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  return { proxy: residentMiB(product.proxyPid), api: residentMiB(product.apiPid), early };
}

/** The rows of the `idle` group, judged in every mode (memory does not depend on the machine's load). */
export function idleMemoryRows(idle) {
  return [
    row({
      scenario: 'idle after start: proxy RSS',
      value: idle.proxy,
      unit: 'MiB',
      target: { op: '<=', value: 60, of: 'value' },
      note: earlyNote(idle.early?.proxy),
    }),
    row({
      scenario: 'idle after start: API RSS',
      value: idle.api,
      unit: 'MiB',
      target: { op: '<=', value: 110, of: 'value' },
      note: earlyNote(idle.early?.api),
    }),
  ];
}

function earlyNote(mib) {
  return typeof mib === 'number' ? `10 s after start; 2 s after start: ${mib.toFixed(1)} MiB` : undefined;
}
