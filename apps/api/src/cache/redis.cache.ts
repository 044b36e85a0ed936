import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';

import { SharedCache } from './shared-cache.js';

/** SharedCache in Redis, shared by every instance. Failures degrade to cache misses, logged at most once a minute. */
export class RedisCache extends SharedCache {
  private readonly logger = new Logger(RedisCache.name);
  private readonly redis: Redis;
  /** Subscriber-mode connection (Redis allows no other commands on it), opened by the first subscribe. */
  private subscriber?: Redis;
  private readonly listeners = new Map<string, ((message: string) => void)[]>();
  private readonly resets: (() => void)[] = [];
  /** True once Redis acknowledged our subscriptions on the current connection; false while down or reconnecting. */
  private subscribed = false;
  /** Counts subscriber connections, so an acknowledgement from an earlier one is not taken for the current one. */
  private connection = 0;
  private lastWarning = 0;
  private closed = false;

  constructor(
    url: string,
    private readonly keyPrefix = 'lfs-depot:',
  ) {
    super();
    this.redis = new Redis(url, {
      keyPrefix,
      // Fail fast while Redis is away instead of queueing requests behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 1000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.redis.on('error', (error: Error) => this.warn(error));
  }

  /**
   * Waits (briefly) for the first connection, so requests right after startup find Redis ready instead of missing
   * it: with the offline queue off, commands sent before the connection is up fail at once.
   */
  waitUntilReady(timeoutMs = 3000): Promise<boolean> {
    if (this.redis.status === 'ready') {
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const done = (ready: boolean): void => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ready);
      };
      const onReady = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.once('ready', onReady);
    });
  }

  private warn(error: unknown): void {
    if (this.closed) {
      return; // connections failing while they are being closed on purpose are no news
    }
    const now = Date.now();
    if (now - this.lastWarning > 60_000) {
      this.lastWarning = now;
      this.logger.warn(`Redis unavailable, continuing without shared cache: ${String(error)}`);
    }
  }

  private async attempt<T>(operation: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      this.warn(error);
      return fallback;
    }
  }

  get(key: string): Promise<string | undefined> {
    return this.attempt(async () => (await this.redis.get(key)) ?? undefined, undefined);
  }

  set(key: string, value: string, ttlSeconds: number): Promise<void> {
    return this.attempt(async () => {
      await this.redis.set(key, value, 'EX', ttlSeconds);
    }, undefined);
  }

  delete(key: string): Promise<void> {
    return this.attempt(async () => {
      await this.redis.del(key);
    }, undefined);
  }

  increment(key: string, ttlSeconds: number, by = 1): Promise<number> {
    return this.attempt(async () => {
      const [[, value]] = (await this.redis.multi().incrby(key, by).expire(key, ttlSeconds, 'NX').exec()) as [
        [Error | null, number],
      ];
      return value;
    }, 0);
  }

  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return this.attempt(
      async () => (await this.redis.set(key, value, 'EX', ttlSeconds, 'NX')) === 'OK',
      true,
    );
  }

  publish(channel: string, message: string): Promise<void> {
    return this.attempt(async () => {
      await this.redis.publish(this.keyPrefix + channel, message);
    }, undefined);
  }

  subscribe(channel: string, listener: (message: string) => void, onReset?: () => void): void {
    const subscriber = this.openSubscriber();
    const name = this.keyPrefix + channel;
    const known = this.listeners.get(name);
    this.listeners.set(name, [...(known ?? []), listener]);
    if (onReset) {
      this.resets.push(onReset);
    }
    if (!known && subscriber.status === 'ready') {
      subscriber.subscribe(name).catch((error: unknown) => this.warn(error));
    }
  }

  private openSubscriber(): Redis {
    if (!this.subscriber) {
      // We subscribe ourselves on every (re)connection rather than through ioredis's auto-resubscribe, so that we
      // know when Redis has acknowledged it: only from then on are messages sure to arrive.
      const subscriber = this.redis.duplicate({
        enableOfflineQueue: true,
        maxRetriesPerRequest: null,
        autoResubscribe: false,
      });
      subscriber.on('error', (error: Error) => this.warn(error));
      subscriber.on('message', (channel: string, message: string) => {
        for (const listener of this.listeners.get(channel) ?? []) {
          listener(message);
        }
      });
      subscriber.on('ready', () => {
        const connection = ++this.connection;
        const channels = [...this.listeners.keys()];
        (channels.length > 0 ? subscriber.subscribe(...channels) : Promise.resolve())
          .then(() => {
            if (connection === this.connection) {
              this.subscribed = true;
              // Whatever was published while the connection was down is lost: let subscribers start afresh.
              this.resets.forEach((reset) => reset());
            }
          })
          .catch((error: unknown) => this.warn(error));
      });
      subscriber.on('close', () => {
        this.connection += 1;
        this.subscribed = false;
        this.resets.forEach((reset) => reset());
      });
      this.subscriber = subscriber;
    }
    return this.subscriber;
  }

  isSubscribed(): boolean {
    return this.subscribed;
  }

  isHealthy(): Promise<boolean> {
    return this.attempt(async () => (await this.redis.ping()) === 'PONG', false);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscriber?.disconnect();
    this.redis.disconnect();
    return Promise.resolve();
  }
}
