/**
 * State shared between API instances: short-lived caches and counters. With REDIS_URL it lives in Redis; without,
 * in this process. Implementations never throw: a cache that is down behaves like an empty one (and logs).
 */
export abstract class SharedCache {
  abstract get(key: string): Promise<string | undefined>;
  abstract set(key: string, value: string, ttlSeconds: number): Promise<void>;
  abstract delete(key: string): Promise<void>;
  /** Adds `by` (default 1) to a counter that expires `ttlSeconds` after it was created; returns the new value. */
  abstract increment(key: string, ttlSeconds: number, by?: number): Promise<number>;
  /** Whether the backing store answers (readiness). */
  abstract isHealthy(): Promise<boolean>;
  abstract close(): Promise<void>;
}
