import path from 'node:path';

import { isValidStorageId } from '@lfs-depot/contracts';

import type {
  ApiConfig,
  Config,
  DatabaseConfig,
  DirectTransfersConfig,
  ProxyConfig,
  RedisConfig,
  StorageConfig,
} from './config.schema.js';
import { secretProblem } from './secret-strength.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Thrown when the environment is invalid; its message names every bad variable at once. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['error', 'warn', 'log', 'info', 'debug'] as const;
const LOG_FORMATS = ['json', 'pretty'] as const;

/** The admin token is typed by people and scripts; the other secrets only by machines, so they must be longer. */
const ADMIN_TOKEN_RULES = { minLength: 16, minBits: 64 };
const INTERNAL_SECRET_RULES = { minLength: 32, minBits: 96 };
const API_SECRET_RULES = INTERNAL_SECRET_RULES;

/** Collects problems instead of failing on the first, so one startup names every bad variable. */
class Reader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  integer(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.string(name);
    if (raw === undefined) {
      return fallback;
    }
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name}=${JSON.stringify(raw)} must be an integer between ${min} and ${max}`);
      return fallback;
    }
    return value;
  }

  /** A fraction: a decimal number greater than 0 and at most 1 (`0.01`, `1`). */
  fraction(name: string, fallback: number): number {
    const raw = this.string(name);
    if (raw === undefined) {
      return fallback;
    }
    const value = Number(raw);
    if (!/^(?:0|1)?(?:\.\d+)?$/.test(raw) || !(value > 0 && value <= 1)) {
      this.problems.push(
        `${name}=${JSON.stringify(raw)} must be a fraction greater than 0 and at most 1, such as 0.01`,
      );
      return fallback;
    }
    return value;
  }

  /**
   * A duration: a number and a unit (`s`, `m`, `h`, `d`, `w`), several of them added up (`1h30m`, `1d 12h`), or
   * `0`; with `off`, also `off` (null). Milliseconds.
   */
  duration(name: string, fallbackMs: number | null, options: { off?: boolean } = {}): number | null {
    const raw = this.string(name);
    if (raw === undefined) {
      return fallbackMs;
    }
    const parsed = parseDuration(raw, options.off === true);
    if (parsed === undefined) {
      this.problems.push(
        `${name}=${JSON.stringify(raw)} must be a duration such as 30s, 15m, 12h, 7d, 2w or 1h30m${options.off ? ', or off' : ''}`,
      );
      return fallbackMs;
    }
    return parsed;
  }

  /** A secret that must not be a placeholder or guessable: deployed as is, one would make anyone admin. */
  secret(name: string, rules: { minLength: number; minBits: number }): string | undefined {
    const value = this.string(name);
    const problem = value === undefined ? undefined : secretProblem(name, value, rules);
    if (problem !== undefined) {
      this.problems.push(problem);
    }
    return value;
  }

  url(name: string, protocols: readonly string[]): URL | undefined {
    const raw = this.string(name);
    if (raw === undefined) {
      return undefined;
    }
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      this.problems.push(
        `${name} is not a valid URL (expected ${protocols.map((p) => `${p}//…`).join(' or ')})`,
      );
      return undefined;
    }
    if (!protocols.includes(parsed.protocol)) {
      this.problems.push(`${name} must use ${protocols.join(' or ')} (got ${parsed.protocol})`);
      return undefined;
    }
    return parsed;
  }
}

const DURATION_UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** Longest duration accepted: ten years, far beyond any sensible grace or interval. */
const MAX_DURATION_MS = 3650 * 86_400_000;

/** `30s`, `15m`, `12h`, `7d`, `2w`, `1h30m`, `1d 12h`, `0` (and `off` when allowed, as null); undefined if invalid. */
export function parseDuration(raw: string, allowOff = false): number | null | undefined {
  const text = raw.trim().toLowerCase();
  if (allowOff && (text === 'off' || text === 'never')) {
    return null;
  }
  if (text === '0') {
    return 0;
  }
  const part = /(\d+)\s*([smhdw])\s*/y;
  let total = 0;
  let index = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const match = part.exec(text);
    if (!match) {
      return undefined;
    }
    total += Number(match[1]) * (DURATION_UNITS[match[2]] ?? 0);
    index = part.lastIndex;
  }
  return index > 0 && total <= MAX_DURATION_MS ? total : undefined;
}

function readDatabase(reader: Reader, dataDir: string): DatabaseConfig {
  const url = reader.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  return url
    ? { kind: 'postgres', url: url.toString() }
    : { kind: 'embedded', dataDir: path.join(dataDir, 'postgres') };
}

function readRedis(reader: Reader): RedisConfig {
  const url = reader.url('REDIS_URL', ['redis:', 'rediss:']);
  return url ? { kind: 'redis', url: url.toString() } : { kind: 'memory' };
}

function readStorage(reader: Reader, env: Env, dataDir: string, proxy: ProxyConfig): StorageConfig {
  return (
    readStorageUrl(reader, env, 'STORAGE', proxy) ?? { kind: 'file', root: path.join(dataDir, 'objects') }
  );
}

/**
 * STORAGE_FALLBACK: the backend objects are being migrated away from (README "Moving objects to another backend");
 * null when unset. It must name another place than STORAGE, or reads would "fall back" to the same objects.
 */
function readStorageFallback(
  reader: Reader,
  env: Env,
  storage: StorageConfig,
  proxy: ProxyConfig,
): StorageConfig | null {
  const fallback = readStorageUrl(reader, env, 'STORAGE_FALLBACK', proxy);
  if (fallback && storagePlace(fallback) === storagePlace(storage)) {
    reader.problems.push('STORAGE_FALLBACK must name another folder or bucket prefix than STORAGE');
  }
  return fallback ?? null;
}

function storagePlace(storage: StorageConfig): string {
  return storage.kind === 'file'
    ? `file:${path.resolve(storage.root)}`
    : `s3:${storage.endpoint ?? ''}/${storage.bucket}/${storage.prefix}`;
}

/** The storage URL in `name`, undefined when unset (or unparsable: then a problem is recorded). */
function readStorageUrl(
  reader: Reader,
  env: Env,
  name: 'STORAGE' | 'STORAGE_FALLBACK',
  proxy: ProxyConfig,
): StorageConfig | undefined {
  const raw = reader.string(name);
  if (raw === undefined) {
    return undefined;
  }
  const url = reader.url(name, ['file:', 's3:']);
  if (!url) {
    return undefined;
  }
  if (url.protocol === 'file:') {
    if (url.hostname !== '' && url.hostname !== 'localhost') {
      // file://data/objects parses "data" as a host and silently means /objects.
      reader.problems.push(
        `${name} file:// URL must have three slashes and an absolute path (file:///…), got ${raw}`,
      );
    }
    const root = decodeURIComponent(url.pathname);
    if (!path.isAbsolute(root) || root === '/') {
      reader.problems.push(
        `${name} file:// URL must name an absolute folder, e.g. file:///var/lib/lfs-depot/objects`,
      );
    }
    return { kind: 'file', root };
  }
  const bucket = url.hostname;
  if (!bucket) {
    reader.problems.push(`${name} s3:// URL must name a bucket: s3://bucket/prefix?region=…`);
  }
  const region = url.searchParams.get('region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) {
    reader.problems.push(`${name} s3:// URL needs a region (?region=… or AWS_REGION)`);
  }
  const endpoint = url.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
    reader.problems.push(`${name} endpoint=${JSON.stringify(endpoint)} must be an http:// or https:// URL`);
  }
  const forcePathStyleRaw = url.searchParams.get('forcePathStyle');
  if (forcePathStyleRaw !== null && !['true', 'false'].includes(forcePathStyleRaw)) {
    reader.problems.push(`${name} forcePathStyle must be true or false`);
  }
  if (Boolean(env.AWS_ACCESS_KEY_ID) !== Boolean(env.AWS_SECRET_ACCESS_KEY)) {
    reader.problems.push('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together for S3 storage');
  }
  return {
    kind: 's3',
    bucket,
    prefix: url.pathname.replace(/^\/+|\/+$/g, ''),
    region: region ?? '',
    endpoint,
    forcePathStyle: forcePathStyleRaw === 'true',
    uploadMemory: readUploadMemory(reader),
    ...readS3Timeouts(reader, proxy),
    enforcesChecksums: readEnforcesChecksums(reader),
  };
}

const CHECKSUM_SETTINGS = ['auto', 'true', 'false'] as const;

/** S3_ENFORCES_CHECKSUMS: `auto` (the default) asks the server at start; `true` and `false` say it without asking. */
function readEnforcesChecksums(reader: Reader): boolean | 'auto' {
  const raw = reader.string('S3_ENFORCES_CHECKSUMS') ?? 'auto';
  if (!(CHECKSUM_SETTINGS as readonly string[]).includes(raw)) {
    reader.problems.push(`S3_ENFORCES_CHECKSUMS must be one of ${CHECKSUM_SETTINGS.join(', ')}, not ${raw}`);
    return 'auto';
  }
  return raw === 'auto' ? 'auto' : raw === 'true';
}

/**
 * S3_CONNECT_TIMEOUT_SECONDS and S3_REQUEST_TIMEOUT_SECONDS, so that an S3 endpoint that hangs fails requests instead
 * of holding them forever. The request timeout counts only time in which the connection moves no byte, and stays
 * above TRANSFER_IDLE_TIMEOUT_SECONDS: a download whose client pauses holds its S3 response back that long, and the
 * proxy's own limit is the one that should end it.
 */
function readS3Timeouts(
  reader: Reader,
  proxy: ProxyConfig,
): { connectTimeoutMs: number; requestTimeoutMs: number } {
  const requestFloor = proxy.transferIdleTimeoutMs / 1000 + 1;
  return {
    connectTimeoutMs: reader.integer('S3_CONNECT_TIMEOUT_SECONDS', 10, 1, 3600) * 1000,
    requestTimeoutMs:
      reader.integer('S3_REQUEST_TIMEOUT_SECONDS', Math.max(120, requestFloor), requestFloor, 24 * 3600) *
      1000,
  };
}

const MIB = 1024 * 1024;

/**
 * S3_UPLOAD_MEMORY: at least one part of the largest size (64 MiB), else an object that needs such parts could never
 * be uploaded.
 */
function readUploadMemory(reader: Reader): number {
  return reader.integer('S3_UPLOAD_MEMORY', 64 * MIB, 64 * MIB, 64 * 1024 * MIB);
}

const DIRECT_MODES = ['off', 'download', 'all'] as const;
const DIRECT_VERIFY_MODES = ['rehash', 'checksum'] as const;
/** S3's limit on one PutObject, which is what a presigned upload is. */
const SINGLE_PUT_MAX = 5 * 1024 ** 3;

function readDirectTransfers(
  reader: Reader,
  storage: StorageConfig,
  fallback: StorageConfig | null,
): DirectTransfersConfig {
  const mode = reader.string('DIRECT_TRANSFERS') ?? 'off';
  if (!(DIRECT_MODES as readonly string[]).includes(mode)) {
    reader.problems.push(`DIRECT_TRANSFERS must be one of ${DIRECT_MODES.join(', ')}`);
  } else if (mode !== 'off' && storage.kind !== 's3') {
    // Presigned URLs are an S3 notion: local disk has nothing to hand the client but the proxy.
    reader.problems.push(`DIRECT_TRANSFERS=${mode} needs S3 storage (STORAGE=s3://…)`);
  } else if (mode !== 'off' && fallback !== null) {
    // A presigned URL names a key of STORAGE: objects not yet moved off the fallback would answer 404 there.
    reader.problems.push(
      `DIRECT_TRANSFERS=${mode} cannot be used with STORAGE_FALLBACK; turn it on once the storage migration is done`,
    );
  }
  const uploadVerify = reader.string('DIRECT_UPLOAD_VERIFY') ?? 'rehash';
  if (!(DIRECT_VERIFY_MODES as readonly string[]).includes(uploadVerify)) {
    reader.problems.push(`DIRECT_UPLOAD_VERIFY must be one of ${DIRECT_VERIFY_MODES.join(', ')}`);
  }
  return {
    mode: (DIRECT_MODES as readonly string[]).includes(mode)
      ? (mode as DirectTransfersConfig['mode'])
      : 'off',
    uploadMax: reader.integer('DIRECT_UPLOAD_MAX', SINGLE_PUT_MAX, 0, SINGLE_PUT_MAX),
    uploadVerify: uploadVerify === 'checksum' ? 'checksum' : 'rehash',
  };
}

/** The proxy's limits when no variable sets them (for code that builds a proxy without an environment: tests). */
export function defaultProxyConfig(): ProxyConfig {
  return readProxy(new Reader({}));
}

function readProxy(reader: Reader): ProxyConfig {
  const seconds = (name: string, fallback: number, max: number): number =>
    reader.integer(name, fallback, 1, max) * 1000;
  return {
    headersTimeoutMs: seconds('HEADERS_TIMEOUT_SECONDS', 20, 3600),
    idleTimeoutMs: seconds('IDLE_TIMEOUT_SECONDS', 20, 3600),
    minBodyBytesPerSecond: reader.integer('MIN_BODY_BYTES_PER_SECOND', 1024, 1, 1024 * MIB),
    transferIdleTimeoutMs: seconds('TRANSFER_IDLE_TIMEOUT_SECONDS', 60, 24 * 3600),
    maxRequestsInFlight: reader.integer('MAX_REQUESTS_IN_FLIGHT', 256, 1, 100_000),
    maxRequestsInFlightPerClient: reader.integer('MAX_REQUESTS_IN_FLIGHT_PER_CLIENT', 64, 1, 100_000),
    maxUploadsPerUser: reader.integer('MAX_UPLOADS_PER_USER', 32, 1, 100_000),
    maxDownloadsPerUser: reader.integer('MAX_DOWNLOADS_PER_USER', 64, 1, 100_000),
    maxDownloadsInFlight: reader.integer('MAX_DOWNLOADS_IN_FLIGHT', 256, 1, 100_000),
    apiCallTimeoutMs: seconds('API_CALL_TIMEOUT_SECONDS', 30, 3600),
    forwardAnswerTimeoutMs: seconds('FORWARD_ANSWER_TIMEOUT_SECONDS', 600, 24 * 3600),
  };
}

function readApiTimeouts(
  reader: Reader,
  proxy: ProxyConfig,
): Pick<ApiConfig, 'headersTimeoutMs' | 'bodyIdleTimeoutMs' | 'keepAliveTimeoutMs'> {
  // Above the proxy's own body idle limit, so that a client's stall is answered by the proxy's 408 first and the
  // API's limit is reached only by a stalled proxy or a connection that died silently.
  const bodyIdleFloor = proxy.idleTimeoutMs / 1000 + 1;
  return {
    headersTimeoutMs: reader.integer('API_HEADERS_TIMEOUT_SECONDS', 20, 1, 3600) * 1000,
    bodyIdleTimeoutMs:
      reader.integer(
        'API_BODY_IDLE_TIMEOUT_SECONDS',
        Math.max(300, bodyIdleFloor),
        bodyIdleFloor,
        24 * 3600,
      ) * 1000,
    keepAliveTimeoutMs: reader.integer('API_KEEP_ALIVE_TIMEOUT_SECONDS', 5, 1, 3600) * 1000,
  };
}

/**
 * Parses and validates the whole environment once. Relative DATA_DIR resolves against `cwd`.
 * Throws ConfigError naming every bad variable.
 */
export function loadConfig(env: Env, cwd: string = process.cwd()): Config {
  const reader = new Reader(env);
  const proxy = readProxy(reader);
  const dataDir = path.resolve(cwd, reader.string('DATA_DIR') ?? 'data');
  const host = reader.string('HOST') ?? '127.0.0.1';
  const port = reader.integer('PORT', 8080, 0, 65535);
  const publicUrl = reader.url('PUBLIC_URL', ['http:', 'https:']);
  const apiHost = reader.string('API_HOST') ?? '127.0.0.1';
  const apiPort = reader.integer('API_PORT', 8081, 0, 65535);
  const apiUrl = reader.url('API_URL', ['http:', 'https:']);
  for (const [name, url] of [
    ['PUBLIC_URL', publicUrl],
    ['API_URL', apiUrl],
  ] as const) {
    if (url && (url.search || url.hash || (name === 'API_URL' && url.pathname !== '/'))) {
      reader.problems.push(
        `${name} must be a plain base URL (${name === 'API_URL' ? 'no path, ' : ''}no query or fragment)`,
      );
    }
  }
  if (apiUrl === undefined && port !== 0 && port === apiPort && host === apiHost) {
    reader.problems.push(`PORT and API_PORT are both ${port}; the proxy and the API need different ports`);
  }

  if (apiUrl && pointsAtListener(apiUrl, host, port)) {
    // The proxy forwards every non-object request to API_URL: pointed at itself, each request would loop forever.
    reader.problems.push(
      `API_URL ${apiUrl.origin} points at the proxy's own listener (HOST ${host}, PORT ${port}); it must name the API (API_HOST, API_PORT)`,
    );
  }
  const warnings: string[] = [];
  if (!publicUrl && WILDCARD_HOSTS.has(host)) {
    warnings.push(
      `HOST=${host} without PUBLIC_URL: clients will be handed hrefs on http://${host.includes(':') ? `[${host}]` : host}:${port}, ` +
        'an address they cannot connect to; set PUBLIC_URL to the URL clients use to reach this server',
    );
  }
  if (!publicUrl && port === 0) {
    warnings.push(
      'PORT=0 without PUBLIC_URL: the API cannot know which port the proxy picks, so hrefs name port 0; ' +
        'set PUBLIC_URL (`npm start` resolves PORT=0 by itself)',
    );
  }

  const adminToken = reader.secret('LFS_ADMIN_TOKEN', ADMIN_TOKEN_RULES);
  const internalSecret = reader.secret('INTERNAL_SECRET', INTERNAL_SECRET_RULES);
  const apiSecret = reader.secret('API_SECRET', API_SECRET_RULES);
  if (apiSecret !== undefined && apiSecret === internalSecret) {
    // The proxy holds INTERNAL_SECRET: the same value would hand it the keys that mint credentials.
    reader.problems.push('API_SECRET must differ from INTERNAL_SECRET (the proxy holds INTERNAL_SECRET)');
  }
  const metricsToken = reader.secret('METRICS_TOKEN', ADMIN_TOKEN_RULES);
  const logLevel = reader.string('LOG_LEVEL') ?? 'log';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    reader.problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const logFormat = reader.string('LOG_FORMAT');
  if (logFormat !== undefined && !(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    reader.problems.push(
      `LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')} (unset: JSON unless on a terminal)`,
    );
  }

  const storage = readStorage(reader, env, dataDir, proxy);
  const storageFallback = readStorageFallback(reader, env, storage, proxy);
  const storageId = reader.string('STORAGE_ID') ?? null;
  if (storageId !== null && !isValidStorageId(storageId)) {
    reader.problems.push(
      'STORAGE_ID must be 32 lowercase hex digits, as the storage_id of the lfs-depot-storage.json marker it adopts',
    );
  }
  const config: Config = {
    dataDir,
    http: {
      host,
      port,
      trustedProxyHops: reader.integer('TRUSTED_PROXY_HOPS', 0, 0, 10),
      publicUrl: (
        publicUrl?.toString() ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`
      ).replace(/\/+$/, ''),
      publicUrlConfigured: publicUrl !== undefined,
    },
    proxy,
    api: {
      host: apiHost,
      port: apiPort,
      url: (apiUrl?.toString() ?? `http://127.0.0.1:${apiPort}`).replace(/\/+$/, ''),
      ...readApiTimeouts(reader, proxy),
    },
    database: readDatabase(reader, dataDir),
    redis: readRedis(reader),
    storage,
    storageFallback,
    storageId,
    limits: {
      maxObjectsPerBatch: reader.integer('MAX_OBJECTS_PER_BATCH', 1000, 1, 100_000),
      // 50 GiB by default; at most what S3 storage can take (10,000 parts of 64 MiB, S3Storage's largest part).
      maxObjectSize: reader.integer('MAX_OBJECT_SIZE', 50 * 1024 ** 3, 1, 10_000 * 64 * 1024 ** 2),
      maxLocksPerProject: reader.integer('MAX_LOCKS_PER_PROJECT', 10_000, 1, 10_000_000),
      actionTtlSeconds: reader.integer('ACTION_TTL_SECONDS', 3600, 60, 7 * 24 * 3600),
      // At most 48 h: the proxy aborts S3 multipart uploads older than 49 h as ones nothing can finalize any more.
      maxUploadSeconds: reader.integer('MAX_UPLOAD_SECONDS', 24 * 3600, 60, 48 * 3600),
    },
    gc: {
      // 0 means off as well: a collection every 0 ms would never stop.
      intervalMs: reader.duration('GC_INTERVAL', null, { off: true }) || null,
      linkGraceMs: reader.duration('GC_LINK_GRACE', 7 * 86_400_000) ?? 0,
      purgeGraceMs: reader.duration('GC_PURGE_GRACE', 7 * 86_400_000) ?? 0,
    },
    // Heartbeats are written every 2 s: below 5 s one slow write would hand a healthy job to another instance.
    jobs: { staleSeconds: reader.integer('JOB_STALE_SECONDS', 30, 5, 86_400) },
    directTransfers: readDirectTransfers(reader, storage, storageFallback),
    scrub: {
      intervalMs: reader.duration('SCRUB_INTERVAL', null, { off: true }) || null,
      sample: reader.fraction('SCRUB_SAMPLE', 0.01),
      // 0 means as fast as storage goes.
      bytesPerSecond: reader.integer('SCRUB_RATE', 0, 0) || null,
    },
    secrets: { adminToken, internalSecret, apiSecret, metricsToken },
    logLevel: logLevel as Config['logLevel'],
    logging: {
      level: logLevel as Config['logLevel'],
      format: logFormat as Config['logging']['format'],
    },
    warnings,
  };
  if (reader.problems.length > 0) {
    // Once each: STORAGE and STORAGE_FALLBACK share the AWS variables, and could report one twice.
    throw new ConfigError([...new Set(reader.problems)]);
  }
  return deepFreeze(config);
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '::0']);
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Whether `url` reaches the listener on host:port of this machine (the same address, or loopback to a wildcard). */
function pointsAtListener(url: URL, host: string, port: number): boolean {
  const urlPort = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (port === 0 || urlPort !== port) {
    return false;
  }
  const urlHost = url.hostname.toLowerCase();
  const listenHost = host.toLowerCase();
  return (
    urlHost === listenHost ||
    urlHost === `[${listenHost}]` ||
    (LOOPBACK_HOSTS.has(urlHost) && (WILDCARD_HOSTS.has(listenHost) || LOOPBACK_HOSTS.has(listenHost)))
  );
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child !== null && typeof child === 'object') {
      deepFreeze(child as object);
    }
  }
  return Object.freeze(value);
}
