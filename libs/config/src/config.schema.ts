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

/** How the proxy, the public front door, protects itself from slow and greedy clients. */
export interface ProxyConfig {
  /** Most time a client may take to send a request's headers (HEADERS_TIMEOUT_SECONDS). */
  headersTimeoutMs: number;
  /** A forwarded (non-transfer) request's body may pause at most this long between bytes (IDLE_TIMEOUT_SECONDS). */
  idleTimeoutMs: number;
  /**
   * A forwarded request's body must arrive at this average rate at least, after an allowance of idleTimeoutMs
   * (MIN_BODY_BYTES_PER_SECOND).
   */
  minBodyBytesPerSecond: number;
  /** An upload's body or a download's reader may pause at most this long (TRANSFER_IDLE_TIMEOUT_SECONDS). */
  transferIdleTimeoutMs: number;
  /** Forwarded requests in flight at once, over all clients (MAX_REQUESTS_IN_FLIGHT). */
  maxRequestsInFlight: number;
  /** Forwarded requests in flight at once from one client address (MAX_REQUESTS_IN_FLIGHT_PER_CLIENT). */
  maxRequestsInFlightPerClient: number;
  /** Uploads one user may have in progress at once on one proxy (MAX_UPLOADS_PER_USER). */
  maxUploadsPerUser: number;
  /**
   * Downloads one user, or one client address when anonymous, may have in progress at once on one proxy
   * (MAX_DOWNLOADS_PER_USER).
   */
  maxDownloadsPerUser: number;
  /** Downloads one proxy sends at once over all users (MAX_DOWNLOADS_IN_FLIGHT): what bounds their read buffers. */
  maxDownloadsInFlight: number;
  /**
   * Most time one of the proxy's own calls to the API (authorize, finalize, download check) may take to be answered
   * whole (API_CALL_TIMEOUT_SECONDS); then the client gets 503 with Retry-After.
   */
  apiCallTimeoutMs: number;
  /**
   * Most time the API may take to begin answering a forwarded request once all of it was sent
   * (FORWARD_ANSWER_TIMEOUT_SECONDS); then the client gets 503 with Retry-After.
   */
  forwardAnswerTimeoutMs: number;
}

export interface ApiConfig {
  /** The API's internal listener (loopback by default; only the proxy talks to it). */
  host: string;
  port: number;
  /** How the proxy reaches the API. */
  url: string;
  /** Most time a request's headers may take to reach the API (API_HEADERS_TIMEOUT_SECONDS). */
  headersTimeoutMs: number;
  /**
   * A request body the API is reading may go this long without a byte arriving, then the connection is dropped
   * (API_BODY_IDLE_TIMEOUT_SECONDS); no total time limit.
   */
  bodyIdleTimeoutMs: number;
  /** How long the API keeps an idle connection open between requests (API_KEEP_ALIVE_TIMEOUT_SECONDS). */
  keepAliveTimeoutMs: number;
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
      /** Bytes of part buffers all S3 uploads of a proxy share (S3_UPLOAD_MEMORY). */
      uploadMemory: number;
      /** Most time to open a connection to the endpoint (S3_CONNECT_TIMEOUT_SECONDS). */
      connectTimeoutMs: number;
      /** An S3 request whose connection moves no byte for this long fails (S3_REQUEST_TIMEOUT_SECONDS). */
      requestTimeoutMs: number;
      /**
       * Whether the server refuses PutObject bytes that do not match `x-amz-checksum-sha256`, so that uploads may
       * stream straight to the object's key (S3_ENFORCES_CHECKSUMS; `auto` probes the server).
       */
      enforcesChecksums: boolean | 'auto';
    };

export interface LimitsConfig {
  maxObjectsPerBatch: number;
  /** Largest object accepted, in bytes. */
  maxObjectSize: number;
  /** Most locks one project may hold at once. */
  maxLocksPerProject: number;
  /** Lifetime of the credentials put in batch actions, in seconds. */
  actionTtlSeconds: number;
  /**
   * Longest an upload may take from its start to its finalize, in seconds (MAX_UPLOAD_SECONDS): how long an upload
   * ticket lives, and how far back finalize believes the start of an upload that outlived its transfer token.
   */
  maxUploadSeconds: number;
}

/**
 * Transfers straight between git-lfs and the S3 bucket, with presigned URLs (DIRECT_TRANSFERS, S3 storage only):
 * `download` presigns downloads, `all` uploads too (to a staging key, linked by the verify action once proven).
 */
export interface DirectTransfersConfig {
  mode: 'off' | 'download' | 'all';
  /** Objects larger than this (bytes) are uploaded through the proxy even with `all` (DIRECT_UPLOAD_MAX). */
  uploadMax: number;
  /**
   * How verify proves a staged upload (DIRECT_UPLOAD_VERIFY): `rehash` streams it through SHA-256; `checksum` takes
   * the SHA-256 S3 attests (HeadObject with ChecksumMode) when it returns one, and rehashes otherwise. Only for S3
   * servers that check x-amz-checksum-sha256 on PUT: one that stores the header unchecked would attest a lie.
   */
  uploadVerify: 'rehash' | 'checksum';
}

/** Garbage collection (README "Garbage collection"); durations in milliseconds. */
export interface GcConfig {
  /** How often each API instance queues a collection (one runs at a time across instances); null: never. */
  intervalMs: number | null;
  /** An unreferenced link is removed once it is older than its project's reference snapshot by this much. */
  linkGraceMs: number;
  /** An object's bytes are deleted once no project has linked it for this long. */
  purgeGraceMs: number;
}

/** The job runner (README "Jobs"). */
export interface JobsConfig {
  /** A running job whose heartbeat is older than this is taken to have lost its instance and is queued again. */
  staleSeconds: number;
}

export interface ScrubConfig {
  /** How often each API instance queues a sample scrub (unless one is queued or running); null: never. */
  intervalMs: number | null;
  /** Fraction of the objects a scheduled scrub re-hashes, chosen at random each time. */
  sample: number;
  /** Most bytes per second a scheduled scrub reads from storage; null: no limit. */
  bytesPerSecond: number | null;
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
  proxy: ProxyConfig;
  api: ApiConfig;
  database: DatabaseConfig;
  redis: RedisConfig;
  storage: StorageConfig;
  /** STORAGE_FALLBACK: where reads that miss `storage` look, while objects are migrated from there; null: none. */
  storageFallback: StorageConfig | null;
  /**
   * STORAGE_ID: the storage id this deployment adopts (records in its database, and writes into a STORAGE without a
   * marker), for a database restored or copied from the one that owns STORAGE; null: none (README "One storage, one
   * database").
   */
  storageId: string | null;
  limits: LimitsConfig;
  gc: GcConfig;
  jobs: JobsConfig;
  directTransfers: DirectTransfersConfig;
  scrub: ScrubConfig;
  secrets: SecretsConfig;
  logLevel: LoggingConfig['level'];
  logging: LoggingConfig;
  /** Settings that work but are probably a mistake; printed at startup. */
  warnings: readonly string[];
}
