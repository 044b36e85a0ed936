// CPU time of a process and everything below it, from /proc (Linux): steadier than wall time on a shared machine,
// since time spent waiting for a core is not counted.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** `{pid, ppid, name, ticks}` of every process we can read; ticks = utime + stime + cutime + cstime. */
function processTable() {
  const table = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // The name is in parentheses and may hold spaces or parentheses itself: the fields start after the last ')'.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    table.push({
      pid: Number(entry),
      name: stat.slice(stat.indexOf('(') + 1, close),
      ppid: Number(fields[1]),
      // utime, stime, and the same of children that have exited and been waited for (a PostgreSQL backend's CPU
      // moves into its postmaster's cutime/cstime when it ends, so a closed connection's work is still counted).
      ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
    });
  }
  return table;
}

/**
 * CPU milliseconds used so far by each of `roots` ({label: pid}) and its descendants, as `{label: ms}`. Two samples'
 * difference is what each tree spent between them; a descendant that ended in between and was reaped inside the
 * tree is still counted (in its parent's cutime).
 */
export function cpuOfTrees(roots) {
  const table = processTable();
  const children = new Map();
  for (const proc of table) {
    children.set(proc.ppid, [...(children.get(proc.ppid) ?? []), proc]);
  }
  const byPid = new Map(table.map((proc) => [proc.pid, proc]));
  const ms = 1000 / clockTicks();
  const result = {};
  for (const [label, pid] of Object.entries(roots)) {
    let ticks = 0;
    const pending = byPid.has(pid) ? [byPid.get(pid)] : [];
    while (pending.length > 0) {
      const proc = pending.pop();
      ticks += proc.ticks;
      pending.push(...(children.get(proc.pid) ?? []));
    }
    result[label] = ticks * ms;
  }
  return result;
}

/**
 * Starts measuring `roots` ({label: pid}); `stop()` returns the CPU milliseconds each tree used since, plus `total`.
 */
export function cpuMeter(roots) {
  const before = cpuOfTrees(roots);
  return {
    stop() {
      const after = cpuOfTrees(roots);
      const used = {};
      let total = 0;
      for (const label of Object.keys(roots)) {
        used[label] = after[label] - before[label];
        total += used[label];
      }
      return { ...used, total };
    },
  };
}
