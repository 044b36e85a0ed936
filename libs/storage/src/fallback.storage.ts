import type { Readable } from 'node:stream';

import type { ByteRange, ExpectedObject, ObjectStorage, StoredEntry } from './object-storage.js';
import { ObjectMissingError } from './storage.errors.js';
import { verifyAgainstStored } from './verify-without-storing.js';

// As the local backend's verifier: one socket read is enough between the body and the hash.
const VERIFIER_HIGH_WATER_MARK = 64 * 1024;

/**
 * The storage of an online migration between backends (STORAGE_FALLBACK, README "Moving objects to another
 * backend"): writes go to `primary`, reads that miss `primary` read `fallback`. An object in either counts as
 * stored, so deduplication, downloads and finalize's check keep working while `lfs-depot storage migrate` copies
 * the fallback's objects over. Deletions remove both copies: a purged object must not come back through the
 * fallback.
 */
export class FallbackStorage implements ObjectStorage {
  constructor(
    readonly primary: ObjectStorage,
    readonly fallback: ObjectStorage,
  ) {}

  get kind(): ObjectStorage['kind'] {
    return this.primary.kind;
  }

  /** Only the primary's: the fallback takes no writes from this configuration, and its ages may differ. */
  async sweepTempFiles(olderThanMs: number): Promise<number> {
    return (await this.primary.sweepTempFiles?.(olderThanMs)) ?? 0;
  }

  /** The primary's: it takes every write. */
  describeUploads(): Promise<string> {
    return this.primary.describeUploads?.() ?? Promise.resolve('uploads go to the primary storage');
  }

  put(
    key: string,
    body: Readable,
    expected: ExpectedObject,
    options?: { signal?: AbortSignal },
  ): Promise<void> {
    return this.primary.put(key, body, expected, options);
  }

  /** As the backends' verify, with a copy in either backend counting as stored. */
  async verify(
    key: string,
    body: Readable,
    expected: ExpectedObject,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await verifyAgainstStored(key, body, expected, (stored) => this.stat(stored), {
      signal: options.signal,
      highWaterMark: VERIFIER_HIGH_WATER_MARK,
    });
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    return (await this.primary.stat(key)) ?? (await this.fallback.stat(key));
  }

  async open(key: string, range?: ByteRange, recorded?: { size: number }): Promise<Readable> {
    try {
      return await this.primary.open(key, range, recorded);
    } catch (error) {
      // A RangeError means the primary has the object and the range is past its end: the fallback's copy is the
      // same bytes, so the answer would be the same.
      if (!(error instanceof ObjectMissingError)) {
        throw error;
      }
    }
    return this.fallback.open(key, range, recorded);
  }

  /**
   * Deletes both copies, the primary's first. A failure in either rejects, and the caller (a purge) runs again
   * later: deleting what is absent is no error.
   */
  async delete(key: string): Promise<void> {
    await this.primary.delete(key);
    await this.fallback.delete(key);
  }

  /**
   * The primary's objects, then the fallback's that the primary does not hold yet (one `stat` each, so memory does
   * not grow with the number of objects): what a reader of this storage can find.
   */
  async *listObjects(): AsyncIterable<StoredEntry> {
    yield* this.primary.listObjects?.() ?? [];
    for await (const entry of this.fallback.listObjects?.() ?? []) {
      if ((await this.primary.stat(entry.key)) === undefined) {
        yield entry;
      }
    }
  }

  /** Only the primary's, as sweepTempFiles. */
  listTempLeftovers(olderThanMs: number): AsyncIterable<StoredEntry> {
    return this.primary.listTempLeftovers?.(olderThanMs) ?? (async function* () {})();
  }

  /**
   * Moves both copies aside (a corrupt object must not be read from the other backend instead); resolves to where
   * the primary's went, else the fallback's, or undefined when neither held one.
   */
  async quarantine(key: string): Promise<string | undefined> {
    const primary = await this.primary.quarantine?.(key);
    const fallback = await this.fallback.quarantine?.(key);
    return primary ?? fallback;
  }

  /** The primary's: the marker names where this configuration writes (the fallback's is read apart, at start). */
  readMarker(): Promise<string | undefined> {
    return this.primary.readMarker();
  }

  createMarker(content: string): Promise<string> {
    return this.primary.createMarker(content);
  }

  /** Both must answer: an object not yet migrated can only be read from the fallback. */
  async check(): Promise<void> {
    await this.primary.check();
    try {
      await this.fallback.check();
    } catch (error) {
      throw new Error(
        `STORAGE_FALLBACK is not reachable: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  /** Releases both backends' connections (S3 clients); a backend without `destroy` holds none. */
  destroy(): void {
    for (const storage of [this.primary, this.fallback]) {
      (storage as { destroy?: () => void }).destroy?.();
    }
  }
}
