/**
 * State shared between API instances: short-lived caches and counters. With REDIS_URL it lives in Redis; without,
 * in this process. Implementations never throw: a cache that is down behaves like an empty one (and logs).
 */
export abstract class SharedCache {
  abstract get(key: string): Promise<string | undefined>;
  abstract set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /**
   * Sets `key` only when it holds nothing; returns whether this call set it (false: it was there already). A cache
   * that is down sets nothing and answers true, as an empty one would.
   */
  abstract setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  abstract delete(key: string): Promise<void>;
  /** Adds `by` (default 1) to a counter that expires `ttlSeconds` after it was created; returns the new value. */
  abstract increment(key: string, ttlSeconds: number, by?: number): Promise<number>;
  /** Delivers `message` to every subscriber of `channel`, in every instance (this one's included). Never throws. */
  abstract publish(channel: string, message: string): Promise<void>;
  /**
   * Calls `listener` with each message published on `channel`. `onReset` runs whenever messages may have been
   * missed (a reconnect), so a subscriber can drop whatever it derived from them.
   */
  abstract subscribe(channel: string, listener: (message: string) => void, onReset?: () => void): void;
  /** Whether published messages reach this instance's subscribers right now. */
  abstract isSubscribed(): boolean;
  /** Whether the backing store answers (readiness). */
  abstract isHealthy(): Promise<boolean>;
  abstract close(): Promise<void>;
}
