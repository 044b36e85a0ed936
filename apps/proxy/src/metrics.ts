import { createRegistry, HttpMetrics, TransferMetrics } from '@lfs-depot/observability';
import type { Registry } from '@lfs-depot/observability';

/** The proxy's metrics: the requests it answers and the object bytes it streams. */
export class ProxyMetrics {
  readonly registry: Registry = createRegistry('proxy');
  readonly http = new HttpMetrics(this.registry);
  readonly transfers = new TransferMetrics(this.registry);
}
