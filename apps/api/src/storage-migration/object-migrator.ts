import { setTimeout as sleep } from 'node:timers/promises';

import type { MigrationProblem } from '@lfs-depot/contracts';
import type { ObjectStorage } from '@lfs-depot/storage';
import { ObjectMissingError, StorageVerificationError } from '@lfs-depot/storage';

import type { ObjectCopiesRepository } from '../objects/object-copies.repository.js';
import type { PurgingObject } from '../objects/objects.repository.js';

/** What happened to one object. */
export type MigrationOutcome =
  { kind: 'copied' | 'already_migrated' | 'purged' } | { kind: MigrationProblem['reason']; message?: string };

/**
 * Spaces reads from the fallback so that, over all copies, at most `bytesPerSecond` go by on average (an object is
 * the unit: one is read at full speed once its turn has come). Null: no limit.
 */
export class ByteRate {
  private readonly started = Date.now();
  private reserved = 0;

  constructor(private readonly bytesPerSecond: number | null) {}

  async take(bytes: number, signal: AbortSignal): Promise<void> {
    if (this.bytesPerSecond === null) {
      return;
    }
    const due = this.started + (this.reserved / this.bytesPerSecond) * 1000;
    this.reserved += bytes;
    const wait = due - Date.now();
    if (wait > 0) {
      await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
  }
}

/**
 * Copies one object from the fallback to the primary: skipped when the primary has it at its size already, else
 * read from the fallback and written with `put`, which verifies SHA-256 and size before anything is visible. A
 * finished copy is then settled under the row's lock (ObjectCopiesRepository.settleCopy): when garbage collection
 * purged the object meanwhile, the copy is deleted again, so no purged object survives on the primary.
 */
export async function migrateObject(
  object: PurgingObject,
  backends: { primary: ObjectStorage; fallback: ObjectStorage },
  copies: ObjectCopiesRepository,
  options: { signal: AbortSignal; rate: ByteRate },
): Promise<MigrationOutcome> {
  const { primary, fallback } = backends;
  const key = object.storageKey;
  if ((await primary.stat(key))?.size === object.size) {
    return { kind: 'already_migrated' };
  }
  await options.rate.take(object.size, options.signal);
  options.signal.throwIfAborted();
  let failure: MigrationOutcome;
  try {
    const body = await fallback.open(key);
    await primary.put(key, body, { oid: object.oid, size: object.size }, { signal: options.signal });
    const state = await copies.settleCopy(object, async (now) => {
      if (now !== 'present') {
        await primary.delete(key);
      }
    });
    return { kind: state === 'present' ? 'copied' : 'purged' };
  } catch (error) {
    options.signal.throwIfAborted();
    failure =
      error instanceof ObjectMissingError
        ? { kind: 'missing' }
        : error instanceof StorageVerificationError
          ? { kind: 'corrupt', message: error.message }
          : { kind: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
  // A purge deleting the bytes while they were read looks like a missing or truncated object: it is neither.
  return (await copies.findObjectState(object.id)) === 'present' ? failure : { kind: 'purged' };
}
