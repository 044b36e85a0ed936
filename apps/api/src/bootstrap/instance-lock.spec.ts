import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { StartupError } from '../core/startup-error.js';
import { acquireInstanceLock, INSTANCE_LOCK_FILE, type InstanceLockOptions } from './instance-lock.js';

/** Several "processes" in one: each pid is running while it is in `running`. */
function processes(running: Set<number>): (pid: number) => InstanceLockOptions {
  return (pid) => ({
    description: { pid, startPid: pid + 1000, port: 8000 + pid, apiPort: 9000 + pid },
    hostname: 'this-host',
    processStart: () => Promise.resolve(`start-${pid}`),
    isRunning: (holder, start) => Promise.resolve(running.has(holder) && start === `start-${holder}`),
  });
}

describe('acquireInstanceLock', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lfs-depot-lock-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('rejects when a running instance holds it, naming its pids and ports', async () => {
    const as = processes(new Set([1, 2]));
    const first = await acquireInstanceLock(dataDir, as(1));
    const second = acquireInstanceLock(dataDir, as(2));
    await expect(second).rejects.toThrow(StartupError);
    await expect(second).rejects.toThrow(
      /in use by another lfs-depot instance \(scripts\/start.mjs pid 1001, API pid 1, PORT 8001, API_PORT 9001, since /,
    );
    await first.release();
  });

  it('returns once the holder released it, and leaves no file behind after its own release', async () => {
    const as = processes(new Set([1, 2]));
    const first = await acquireInstanceLock(dataDir, as(1));
    await first.release();
    const second = await acquireInstanceLock(dataDir, as(2));
    expect(JSON.parse(await readFile(second.file, 'utf8'))).toMatchObject({ pid: 2, port: 8002 });
    await second.release();
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('takes over a lock whose process is gone, or whose pid was reused by another process', async () => {
    const running = new Set([1]);
    const as = processes(running);
    await acquireInstanceLock(dataDir, as(1)); // never released: killed
    running.delete(1);
    const second = await acquireInstanceLock(dataDir, as(2));
    expect(JSON.parse(await readFile(second.file, 'utf8'))).toMatchObject({ pid: 2 });
    // pid 2 is now someone else's process: same pid, another start time.
    const reused = await acquireInstanceLock(dataDir, {
      ...as(3),
      isRunning: (pid, start) => Promise.resolve(pid === 2 && start === 'start-of-another-program'),
    });
    expect(JSON.parse(await readFile(reused.file, 'utf8'))).toMatchObject({ pid: 3 });
  });

  it('takes over an unreadable lock file', async () => {
    await writeFile(path.join(dataDir, INSTANCE_LOCK_FILE), '{"pid":');
    const lock = await acquireInstanceLock(dataDir, processes(new Set([1]))(1));
    expect(JSON.parse(await readFile(lock.file, 'utf8'))).toMatchObject({ pid: 1 });
  });

  it('rejects while a lock from another host is refreshed, and takes it over once it is not', async () => {
    const foreign = { pid: 1, port: 1, apiPort: 2, hostname: 'other-host', startedAt: 'x', nonce: 'n' };
    const file = path.join(dataDir, INSTANCE_LOCK_FILE);
    await writeFile(file, JSON.stringify(foreign));
    await expect(acquireInstanceLock(dataDir, processes(new Set([2]))(2))).rejects.toThrow(
      /API pid 1 on host other-host, PORT 1, API_PORT 2/,
    );
    const { utimes } = await import('node:fs/promises');
    const longAgo = new Date(Date.now() - 3_600_000);
    await utimes(file, longAgo, longAgo);
    const lock = await acquireInstanceLock(dataDir, processes(new Set([2]))(2));
    expect(JSON.parse(await readFile(lock.file, 'utf8'))).toMatchObject({ pid: 2 });
  });

  it('gives the lock to exactly one of many concurrent starts, with or without a stale lock in the way', async () => {
    for (let round = 0; round < 40; round++) {
      const running = new Set([100, 101, 102, 103, 104, 105]);
      const as = processes(running);
      if (round % 2 === 1) {
        running.add(99);
        await acquireInstanceLock(dataDir, as(99));
        running.delete(99);
      }
      const outcomes = await Promise.allSettled(
        [100, 101, 102, 103, 104, 105].map((pid) => acquireInstanceLock(dataDir, as(pid))),
      );
      const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          expect(outcome.reason).toBeInstanceOf(StartupError);
        }
      }
      const holder = JSON.parse(await readFile(path.join(dataDir, INSTANCE_LOCK_FILE), 'utf8')) as {
        pid: number;
      };
      expect(running.has(holder.pid)).toBe(true);
      await (winners[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
      expect(await readdir(dataDir)).toEqual([]);
    }
  });
});
