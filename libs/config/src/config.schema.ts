/** The typed, validated configuration both apps read. Each concern is its own slice. */
export interface HttpConfig {
  /** Public proxy listener. */
  host: string;
  port: number;
  /** Base of every href handed to clients, without a trailing slash. */
  publicUrl: string;
  /** False when publicUrl was derived from HOST and PORT (PUBLIC_URL unset). */
  publicUrlConfigured: boolean;
  /** Reverse proxies or load balancers in front of ours whose X-Forwarded-For entries are trusted. */
  trustedProxyHops: number;
}

export interface ApiConfig {
  /** The API's internal listener (loopback by default; only the proxy talks to it). */
  host: string;
  port: number;
  /** How the proxy reaches the API. */
  url: string;
}

export type DatabaseConfig = { kind: 'postgres'; url: string } | { kind: 'embedded'; dataDir: string };

export type RedisConfig = { kind: 'redis'; url: string } | { kind: 'memory' };

export type StorageConfig =
  | { kind: 'file'; root: string }
  | {
      kind: 's3';
      bucket: string;
      prefix: string;
      region: string;
      endpoint?: string;
      forcePathStyle: boolean;
    };

export interface LimitsConfig {
  maxObjectsPerBatch: number;
  /** Largest object accepted, in bytes. */
  maxObjectSize: number;
  /** Most locks one project may hold at once. */
  maxLocksPerProject: number;
  /** Lifetime of the credentials put in batch actions, in seconds. */
  actionTtlSeconds: number;
}

export interface SecretsConfig {
  /** Bootstrap admin bearer token; undefined means "generate one into DATA_DIR/admin-token". */
  adminToken?: string;
  /** Shared secret between proxy and API; undefined means "generate one into DATA_DIR/internal-secret". */
  internalSecret?: string;
  /**
   * The API's own secret, never given to the proxy: it keys transfer tokens, upload tickets and the password cache.
   * Undefined means "generate one into DATA_DIR/api-secret".
   */
  apiSecret?: string;
  /** Bearer token of GET /metrics; undefined means "generate one into DATA_DIR/metrics-token". */
  metricsToken?: string;
}

export interface LoggingConfig {
  /** LOG_LEVEL; `log` (the default) and `info` are the same level. */
  level: 'error' | 'warn' | 'log' | 'info' | 'debug';
  /** LOG_FORMAT; undefined means JSON lines unless standard output is a terminal. */
  format?: 'json' | 'pretty';
}

export interface Config {
  dataDir: string;
  http: HttpConfig;
  api: ApiConfig;
  database: DatabaseConfig;
  redis: RedisConfig;
  storage: StorageConfig;
  limits: LimitsConfig;
  secrets: SecretsConfig;
  logLevel: LoggingConfig['level'];
  logging: LoggingConfig;
  /** Settings that work but are probably a mistake; printed at startup. */
  warnings: readonly string[];
}
