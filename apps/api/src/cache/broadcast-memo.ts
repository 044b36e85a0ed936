import { setBounded } from './bounded-map.js';
import { SharedCache } from './shared-cache.js';

export interface BroadcastMemoOptions {
  /** How long an entry may be used without being looked up again. */
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  value: unknown;
  expiresAt: number;
}

/**
 * A per-process memo of database answers that change rarely, emptied in every instance whenever they may have
 * changed. AccessCache and LinkCache are the two in use; each has its own channel, so a change to one kind of answer
 * does not cost the other its hits.
 *
 * Safety comes before hit rate:
 * - a change that could make a remembered answer wrong calls `invalidate()`, which empties this memo at once and,
 *   through SharedCache's publish/subscribe (Redis when configured), every other instance's on the same channel;
 * - while that channel is down (Redis unreachable) the memo is bypassed, and it is emptied when the channel comes
 *   back, so a missed message can never keep a revoked token, a removed member or an unlinked object usable;
 * - a lookup that started before an invalidation is not stored after it;
 * - only what exists is remembered (a loader's `undefined` is not), so inserts need no invalidation, and random
 *   keys can't fill the memo with misses;
 * - entries expire after `ttlMs` regardless, which bounds staleness should a message be lost in transit.
 *
 * Remembered values are shared between requests: callers must treat them as read-only.
 */
export class BroadcastMemo {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Lookups answered from memory and not (read by the metrics). */
  readonly lookups = { hits: 0, misses: 0 };
  /** Bumped by every invalidation, so a lookup in flight across one is not stored. */
  private generation = 0;
  /** When this memo was last emptied (ms since the epoch): at construction, by an invalidation or by a reset. */
  private forgottenAt: number;

  constructor(
    private readonly bus: SharedCache,
    private readonly channel: string,
    options: BroadcastMemoOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 10_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    this.forgottenAt = this.now();
    const forget = (): void => this.forget();
    bus.subscribe(channel, forget, forget);
  }

  /** The remembered value for `key`, or what `loader` finds now (remembered unless it is undefined). */
  async load<T>(key: string, loader: () => Promise<T | undefined>): Promise<T | undefined> {
    const remembered = this.recall<T>(key);
    if (remembered !== undefined) {
      return remembered;
    }
    const mark = this.mark();
    const value = await loader();
    this.remember(key, value, mark);
    return value;
  }

  /** The remembered, unexpired value for `key`; undefined when there is none or the memo is bypassed. */
  recall<T>(key: string): T | undefined {
    const entry = this.bus.isSubscribed() ? this.entries.get(key) : undefined;
    if (entry && entry.expiresAt > this.now()) {
      this.lookups.hits += 1;
      return entry.value as T;
    }
    this.lookups.misses += 1;
    return undefined;
  }

  /** Taken before a lookup and handed to `remember()`, which then stores nothing if an invalidation came between. */
  mark(): number {
    return this.generation;
  }

  /** Stores what a lookup started at `mark` found, unless it is undefined or may be stale already. */
  remember(key: string, value: unknown, mark: number): void {
    if (value !== undefined && mark === this.generation && this.bus.isSubscribed()) {
      setBounded(this.entries, key, { value, expiresAt: this.now() + this.ttlMs }, this.maxEntries);
    }
  }

  /** Forgets everything here and tells the other instances to do the same; call after a change is committed. */
  async invalidate(): Promise<void> {
    this.forget();
    await this.bus.publish(this.channel, String(this.generation));
  }

  /**
   * Since when what this memo remembers may differ from what was true before (ms since the epoch): the last time it
   * was emptied, or now while invalidations may be missed. Anything derived from answers older than that may be stale.
   */
  changedSince(): number {
    return this.bus.isSubscribed() ? this.forgottenAt : this.now();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Forgets everything here only; lookups in flight are not stored either. */
  protected forget(): void {
    this.generation += 1;
    this.forgottenAt = this.now();
    this.entries.clear();
  }
}
