import { setBounded } from './bounded-map.js';
import { SharedCache } from './shared-cache.js';

/** The channel on which any instance announces that users, tokens, projects or memberships changed. */
export const ACCESS_CHANGED_CHANNEL = 'access-changed';

export interface AccessCacheOptions {
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
 * A per-process memo of the lookups every LFS request makes before it can do anything: token → user and
 * (project, user) → role. Without it each batch paid two extra database round trips for answers that change rarely.
 *
 * Safety comes before hit rate:
 * - any change to users, tokens, projects or memberships calls `invalidate()`, which empties this memo at once and,
 *   through SharedCache's publish/subscribe (Redis when configured), every other instance's;
 * - while that channel is down (Redis unreachable) the memo is bypassed, and it is emptied when the channel comes
 *   back, so a missed message can never keep a revoked token or a removed member working;
 * - a lookup that started before an invalidation is not stored after it;
 * - only what exists is remembered (a loader's `undefined` is not), so inserts need no invalidation, and random
 *   tokens or paths can't fill the memo with misses;
 * - entries expire after `ttlMs` regardless, which bounds staleness should a message be lost in transit.
 *
 * Cached values are shared between requests: callers must treat them as read-only.
 */
export class AccessCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Bumped by every invalidation, so a lookup in flight across one is not stored. */
  private generation = 0;

  constructor(
    private readonly bus: SharedCache,
    options: AccessCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 10_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    const clear = (): void => this.clear();
    bus.subscribe(ACCESS_CHANGED_CHANNEL, clear, clear);
  }

  /** The remembered value for `key`, or what `loader` finds now (remembered unless it is undefined). */
  async load<T>(key: string, loader: () => Promise<T | undefined>): Promise<T | undefined> {
    if (!this.bus.isSubscribed()) {
      return loader();
    }
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) {
      return entry.value as T;
    }
    const generation = this.generation;
    const value = await loader();
    if (value !== undefined && generation === this.generation && this.bus.isSubscribed()) {
      this.store(key, value);
    }
    return value;
  }

  /** Forgets everything here and tells the other instances to do the same; call after a change is committed. */
  async invalidate(): Promise<void> {
    this.clear();
    await this.bus.publish(ACCESS_CHANGED_CHANNEL, String(this.generation));
  }

  get size(): number {
    return this.entries.size;
  }

  private clear(): void {
    this.generation += 1;
    this.entries.clear();
  }

  private store(key: string, value: unknown): void {
    setBounded(this.entries, key, { value, expiresAt: this.now() + this.ttlMs }, this.maxEntries);
  }
}
