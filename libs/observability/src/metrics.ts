import client from 'prom-client';
import type { Counter, Gauge, Histogram, MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

import type { AppName } from './logger.js';

export type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Metrics as one registry exports them for another to merge (prom-client's JSON form). */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** The content type of the Prometheus text format the registries render. */
export const METRICS_CONTENT_TYPE = client.register.contentType;

/** Seconds an HTTP answer takes: from a cached batch (milliseconds) to a long push-check (a minute). */
const HTTP_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds one object transfer takes: from a small file to a 50 GiB one. */
const TRANSFER_SECONDS_BUCKETS = [0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400];

/**
 * A registry of one app: its name as the `app` label on every series (so the API's and the proxy's can be served
 * together) and prom-client's default process metrics (CPU, memory, event loop lag, file descriptors, GC).
 */
export function createRegistry(app: AppName): Registry {
  const registry = new client.Registry();
  registry.setDefaultLabels({ app });
  client.collectDefaultMetrics({ register: registry });
  return registry;
}

/** Requests answered, by route family; both apps count their own. */
export class HttpMetrics {
  readonly requests: Counter<'route' | 'status'>;
  readonly duration: Histogram<'route'>;

  constructor(registry: Registry) {
    this.requests = new client.Counter({
      name: 'lfs_depot_http_requests_total',
      help: 'HTTP requests answered, by route family and status (aborted: the connection closed before the answer was complete).',
      labelNames: ['route', 'status'],
      registers: [registry],
    });
    this.duration = new client.Histogram({
      name: 'lfs_depot_http_request_duration_seconds',
      help: 'Time from a request arriving to its answer being sent, by route family.',
      labelNames: ['route'],
      buckets: HTTP_SECONDS_BUCKETS,
      registers: [registry],
    });
  }
}

export type TransferDirection = 'upload' | 'download';

/** How an object transfer ended. */
export const TRANSFER_OUTCOMES = [
  'ok',
  'hash_mismatch',
  'size_mismatch',
  'aborted',
  'denied',
  'storage_error',
] as const;
export type TransferOutcome = (typeof TRANSFER_OUTCOMES)[number];

/** Object bytes through the proxy: counted as they pass, per transfer when it ends, and those under way. */
export class TransferMetrics {
  readonly bytes: Counter<'direction'>;
  readonly transfers: Counter<'direction' | 'outcome'>;
  readonly inFlight: Gauge<'direction'>;
  readonly duration: Histogram<'direction' | 'outcome'>;

  constructor(registry: Registry) {
    this.bytes = new client.Counter({
      name: 'lfs_depot_transfer_bytes_total',
      help: 'Object bytes received (upload) and sent (download), failed transfers included.',
      labelNames: ['direction'],
      registers: [registry],
    });
    this.transfers = new client.Counter({
      name: 'lfs_depot_transfers_total',
      help: 'Object transfers finished, by direction and outcome (ok, hash_mismatch, size_mismatch, aborted, denied, storage_error).',
      labelNames: ['direction', 'outcome'],
      registers: [registry],
    });
    this.inFlight = new client.Gauge({
      name: 'lfs_depot_transfers_in_flight',
      help: 'Object transfers under way.',
      labelNames: ['direction'],
      registers: [registry],
    });
    this.duration = new client.Histogram({
      name: 'lfs_depot_transfer_duration_seconds',
      help: 'Time one object transfer took, by direction and outcome.',
      labelNames: ['direction', 'outcome'],
      buckets: TRANSFER_SECONDS_BUCKETS,
      registers: [registry],
    });
    for (const direction of ['upload', 'download'] as const) {
      // Present from the start, so that dashboards and alerts see 0 rather than no series.
      this.inFlight.set({ direction }, 0);
      this.bytes.inc({ direction }, 0);
    }
  }
}

/** One Prometheus text exposition of several registries' snapshots (series keep their own `app` label). */
export async function renderMerged(snapshots: MetricsSnapshot[]): Promise<string> {
  return client.AggregatorRegistry.aggregate(snapshots).metrics();
}
