import { Injectable } from '@nestjs/common';
import client from 'prom-client';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { createRegistry, HttpMetrics } from '@lfs-depot/observability';
import type { MetricsSnapshot } from '@lfs-depot/observability';
import { DataSource } from 'typeorm';

import { AccessCache } from '../cache/access-cache.js';
import type { BroadcastMemo } from '../cache/broadcast-memo.js';
import { LinkCache } from '../cache/link-cache.js';

/** What pg's Pool tells about its connections (TypeORM's postgres driver keeps it as `master`). */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

function poolOf(dataSource: DataSource): PoolCounts | undefined {
  const pool = (dataSource.driver as { master?: Partial<PoolCounts> }).master;
  return typeof pool?.totalCount === 'number' ? (pool as PoolCounts) : undefined;
}

/** The API's metrics: its HTTP requests, batch sizes, memo hit rates, database pool and sign-in throttling. */
@Injectable()
export class ApiMetrics {
  readonly registry: Registry = createRegistry('api');
  readonly http = new HttpMetrics(this.registry);
  readonly batchObjects: Histogram<'operation'>;
  readonly throttleRefusals: Counter<'kind'>;
  /** Set by each scrub that ends in this instance (the scheduled sample ones included). */
  readonly scrubProblems: Gauge<'kind'>;
  readonly scrubChecked: Gauge;
  readonly scrubFinished: Gauge;

  constructor(dataSource: DataSource, accessCache: AccessCache, linkCache: LinkCache) {
    const registers = [this.registry];
    this.batchObjects = new client.Histogram({
      name: 'lfs_depot_batch_objects',
      help: 'Objects named by one batch request, by operation.',
      labelNames: ['operation'],
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
      registers,
    });
    this.throttleRefusals = new client.Counter({
      name: 'lfs_depot_login_throttle_refusals_total',
      help: 'Sign-ins refused with 429 because too many failed before (kind: password or admin_token).',
      labelNames: ['kind'],
      registers,
    });
    this.scrubProblems = new client.Gauge({
      name: 'lfs_depot_scrub_problems',
      help: 'Problems the last scrub here found, by kind (missing, corrupt, orphan, temp); 0 for every kind when clean.',
      labelNames: ['kind'],
      registers,
    });
    this.scrubChecked = new client.Gauge({
      name: 'lfs_depot_scrub_objects_checked',
      help: 'Objects whose bytes the last scrub here re-hashed (a sample of them when SCRUB_SAMPLE is below 1).',
      registers,
    });
    this.scrubFinished = new client.Gauge({
      name: 'lfs_depot_scrub_last_finished_timestamp_seconds',
      help: 'When the last scrub here finished (Unix time); 0 before the first.',
      registers,
    });
    const memos: [string, BroadcastMemo][] = [
      ['access', accessCache],
      ['links', linkCache],
    ];
    new client.Counter({
      name: 'lfs_depot_cache_lookups_total',
      help: 'Lookups in the in-process memos (access: users, tokens, memberships; links: project objects), by result.',
      labelNames: ['cache', 'result'],
      registers,
      collect() {
        this.reset();
        for (const [cache, memo] of memos) {
          this.inc({ cache, result: 'hit' }, memo.lookups.hits);
          this.inc({ cache, result: 'miss' }, memo.lookups.misses);
        }
      },
    });
    new client.Gauge({
      name: 'lfs_depot_db_pool_connections',
      help: 'Database pool connections by state (in_use: checked out by a query, idle: open and free).',
      labelNames: ['state'],
      registers,
      collect() {
        const pool = poolOf(dataSource);
        this.set({ state: 'in_use' }, pool ? pool.totalCount - pool.idleCount : 0);
        this.set({ state: 'idle' }, pool?.idleCount ?? 0);
      },
    });
    new client.Gauge({
      name: 'lfs_depot_db_pool_waiting',
      help: 'Queries waiting for a database pool connection.',
      registers,
      collect() {
        this.set(poolOf(dataSource)?.waitingCount ?? 0);
      },
    });
  }

  /** The Prometheus text exposition of the API's metrics. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The same, in the JSON form the proxy merges with its own. */
  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
  }
}
