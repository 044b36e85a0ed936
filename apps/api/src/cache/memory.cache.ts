import { setBounded } from './bounded-map.js';
import { SharedCache } from './shared-cache.js';

interface Entry {
  value: string;
  expiresAt: number;
}

/** SharedCache for a single instance. Bounded so a flood of distinct keys can't grow memory without limit. */
export class MemoryCache extends SharedCache {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Map<string, ((message: string) => void)[]>();

  constructor(
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private store(key: string, entry: Entry): void {
    setBounded(this.entries, key, entry, this.maxEntries);
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.live(key)?.value);
  }

  set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.store(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
    return Promise.resolve();
  }

  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.live(key)) {
      return Promise.resolve(false);
    }
    this.store(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
    return Promise.resolve(true);
  }

  delete(key: string): Promise<void> {
    this.entries.delete(key);
    return Promise.resolve();
  }

  increment(key: string, ttlSeconds: number, by = 1): Promise<number> {
    const entry = this.live(key);
    const value = (entry ? Number(entry.value) : 0) + by;
    this.store(key, { value: String(value), expiresAt: entry?.expiresAt ?? this.now() + ttlSeconds * 1000 });
    return Promise.resolve(value);
  }

  publish(channel: string, message: string): Promise<void> {
    for (const listener of this.listeners.get(channel) ?? []) {
      listener(message);
    }
    return Promise.resolve();
  }

  subscribe(channel: string, listener: (message: string) => void): void {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener]);
  }

  isSubscribed(): boolean {
    return true;
  }

  isHealthy(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    this.entries.clear();
    this.listeners.clear();
    return Promise.resolve();
  }
}
