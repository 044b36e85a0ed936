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
 * Reads both apps' resident memory once start-up has settled (`settleMs` after both said they were ready, so the
 * figure is not start-up's transient heap), before the benchmark sends anything.
 */
export async function idleMemoryAfterStart(product, settleMs = 2000) {
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  return { proxy: residentMiB(product.proxyPid), api: residentMiB(product.apiPid) };
}

/** The rows of the `idle` group, judged in every mode (memory does not depend on the machine's load). */
export function idleMemoryRows(idle) {
  return [
    row({
      scenario: 'idle after start: proxy RSS',
      value: idle.proxy,
      unit: 'MiB',
      target: { op: '<=', value: 60, of: 'value' },
    }),
    row({
      scenario: 'idle after start: API RSS',
      value: idle.api,
      unit: 'MiB',
      target: { op: '<=', value: 110, of: 'value' },
    }),
  ];
}
