import { randomBytes } from 'node:crypto';
import { link, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { ensureDataDir } from '@lfs-depot/config';

import { StartupError } from '../core/startup-error.js';

/** What a running instance says about itself in its lock file, so a second start can name it. */
export interface InstanceDescription {
  /** The API process holding the lock. */
  pid: number;
  /** The `npm start` (scripts/start.mjs) process that launched it, when there is one. */
  startPid?: number;
  /** PORT (the public proxy listener) and API_PORT. */
  port: number;
  apiPort: number;
}

interface LockRecord extends InstanceDescription {
  hostname: string;
  /** The kernel's start time of `pid` (/proc/PID/stat field 22): a reused pid has another one. */
  processStart?: string;
  startedAt: string;
  /** Tells this record from any later one, so a stale record is removed only if it is still the one judged. */
  nonce: string;
}

/** Who is taking the lock, and how liveness is judged; tests inject several "processes" into one. */
export interface InstanceLockOptions {
  description: InstanceDescription;
  hostname?: string;
  processStart?: (pid: number) => Promise<string | undefined>;
  /** Whether a process with this pid (and start time, when known) runs on this host. */
  isRunning?: (pid: number, processStart: string | undefined) => Promise<boolean>;
}

export interface InstanceLock {
  readonly file: string;
  release(): Promise<void>;
}

export const INSTANCE_LOCK_FILE = 'instance.lock';
/** A lock written on another host (a shared volume) cannot have its pid checked: it lives while it is refreshed. */
const HEARTBEAT_MS = 10_000;
const FOREIGN_STALE_MS = 3 * HEARTBEAT_MS;
/** Breaking a stale lock takes milliseconds; a break marker older than this was left by a breaker that died. */
const BREAK_STALE_MS = 5_000;

async function linuxProcessStart(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

async function isProcessRunning(pid: number, processStart: string | undefined): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') {
      return false;
    }
  }
  return processStart === undefined || (await linuxProcessStart(pid)) === processStart;
}

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

function describe(record: LockRecord, hostname: string): string {
  const pids =
    record.startPid !== undefined
      ? `scripts/start.mjs pid ${record.startPid}, API pid ${record.pid}`
      : `API pid ${record.pid}`;
  const host = record.hostname === hostname ? '' : ` on host ${record.hostname}`;
  return `${pids}${host}, PORT ${record.port}, API_PORT ${record.apiPort}, since ${record.startedAt}`;
}

/**
 * Takes DATA_DIR's instance lock, which guards the embedded PostgreSQL: one lfs-depot per DATA_DIR. A lock left by a
 * process that is gone (kill -9, power loss) is taken over; one held by a running instance stops this start with a
 * StartupError naming it. The lock is a file created whole with link(2), so two starts never both get it.
 */
export async function acquireInstanceLock(
  dataDir: string,
  options: InstanceLockOptions,
): Promise<InstanceLock> {
  const hostname = options.hostname ?? os.hostname();
  const processStart = options.processStart ?? linuxProcessStart;
  const isRunning = options.isRunning ?? isProcessRunning;
  await ensureDataDir(dataDir);
  const file = path.join(dataDir, INSTANCE_LOCK_FILE);
  const record: LockRecord = {
    ...options.description,
    hostname,
    processStart: await processStart(options.description.pid),
    startedAt: new Date().toISOString(),
    nonce: randomBytes(12).toString('hex'),
  };
  const draft = `${file}.${record.nonce}`;
  await writeFile(draft, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  try {
    for (;;) {
      try {
        await link(draft, file);
        break;
      } catch (error) {
        if (!isErrno(error, 'EEXIST')) {
          throw error;
        }
      }
      const holder = await readRecord(file);
      if (holder === 'gone') {
        continue;
      }
      if (holder !== 'unreadable' && (await isAlive(holder, file, hostname, isRunning))) {
        throw new StartupError(
          `DATA_DIR ${dataDir} is in use by another lfs-depot instance (${describe(holder, hostname)}). ` +
            `Stop that one first, or give this one another DATA_DIR.`,
        );
      }
      await breakStaleLock(file, holder === 'unreadable' ? undefined : holder.nonce);
    }
  } finally {
    await unlink(draft).catch(() => undefined);
  }

  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(file, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  return {
    file,
    release: async () => {
      if (released) {
        return;
      }
      released = true;
      clearInterval(heartbeat);
      const current = await readRecord(file);
      if (typeof current === 'object' && current.nonce === record.nonce) {
        await unlink(file).catch(() => undefined);
      }
    },
  };
}

async function readRecord(file: string): Promise<LockRecord | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      return 'gone';
    }
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockRecord>;
    return typeof parsed.pid === 'number' && typeof parsed.nonce === 'string'
      ? (parsed as LockRecord)
      : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

async function isAlive(
  holder: LockRecord,
  file: string,
  hostname: string,
  isRunning: NonNullable<InstanceLockOptions['isRunning']>,
): Promise<boolean> {
  if (holder.hostname === hostname) {
    return isRunning(holder.pid, holder.processStart);
  }
  try {
    return Date.now() - (await stat(file)).mtimeMs < FOREIGN_STALE_MS;
  } catch {
    return false;
  }
}

/**
 * Removes a stale lock, unless it changed since it was judged (another start may have broken it and taken the lock
 * meanwhile). Breakers take turns through an exclusive marker file, so the re-read and the unlink are one step.
 */
async function breakStaleLock(file: string, judgedNonce: string | undefined): Promise<void> {
  const marker = `${file}.break`;
  try {
    await writeFile(marker, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) {
      throw error;
    }
    const age = await stat(marker).then(
      (info) => Date.now() - info.mtimeMs,
      () => 0,
    );
    if (age > BREAK_STALE_MS) {
      await unlink(marker).catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    return;
  }
  try {
    const current = await readRecord(file);
    const unchanged =
      current === 'unreadable'
        ? judgedNonce === undefined
        : typeof current === 'object' && current.nonce === judgedNonce;
    if (unchanged) {
      await unlink(file).catch(() => undefined);
    }
  } finally {
    await unlink(marker).catch(() => undefined);
  }
}
