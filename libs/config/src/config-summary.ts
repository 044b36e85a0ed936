import type { Config, StorageConfig } from './config.schema.js';

/** A URL with its password replaced by `***`, fit for a log line. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      parsed.password = '***';
    }
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Where a storage configuration points, without credentials. */
export function describeStorage(storage: StorageConfig): string {
  return storage.kind === 'file'
    ? `file://${storage.root}`
    : `s3://${storage.bucket}/${storage.prefix}` +
        ` (region ${storage.region}${storage.endpoint ? `, endpoint ${redactUrl(storage.endpoint)}` : ''})`;
}

/**
 * What a started app logs about its configuration: every setting that shapes behaviour, and for each secret only
 * where it comes from (the environment or a generated file), never its value.
 */
export function configSummary(config: Config): Record<string, unknown> {
  const { storage, database, redis } = config;
  const source = (value: string | undefined, file: string): string =>
    value === undefined ? `DATA_DIR/${file}` : 'environment';
  return {
    data_dir: config.dataDir,
    listen: `${config.http.host}:${config.http.port}`,
    public_url: config.http.publicUrl,
    api: `${config.api.host}:${config.api.port}`,
    api_url: config.api.url,
    trusted_proxy_hops: config.http.trustedProxyHops,
    database: database.kind === 'embedded' ? `embedded (${database.dataDir})` : redactUrl(database.url),
    cache: redis.kind === 'redis' ? redactUrl(redis.url) : 'memory',
    storage: describeStorage(storage),
    ...(storage.kind === 's3' ? { s3_enforces_checksums: storage.enforcesChecksums } : {}),
    ...(config.storageFallback ? { storage_fallback: describeStorage(config.storageFallback) } : {}),
    direct_transfers:
      config.directTransfers.mode === 'off'
        ? 'off'
        : {
            mode: config.directTransfers.mode,
            upload_max: config.directTransfers.uploadMax,
            upload_verify: config.directTransfers.uploadVerify,
          },
    limits: {
      max_objects_per_batch: config.limits.maxObjectsPerBatch,
      max_object_size: config.limits.maxObjectSize,
      max_locks_per_project: config.limits.maxLocksPerProject,
      action_ttl_seconds: config.limits.actionTtlSeconds,
      max_upload_seconds: config.limits.maxUploadSeconds,
    },
    log_level: config.logging.level,
    log_format: config.logging.format ?? 'auto',
    admin_token: source(config.secrets.adminToken, 'admin-token'),
    internal_secret: source(config.secrets.internalSecret, 'internal-secret'),
    api_secret: source(config.secrets.apiSecret, 'api-secret'),
    metrics_token: source(config.secrets.metricsToken, 'metrics-token'),
  };
}
