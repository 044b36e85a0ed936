import { randomBytes } from 'node:crypto';
import path from 'node:path';

import { describe, expect, it } from '@jest/globals';

import { configSummary } from './config-summary.js';
import { ConfigError, loadConfig } from './load-config.js';

describe(loadConfig.name, () => {
  it('returns embedded defaults when nothing is configured', () => {
    const config = loadConfig({}, '/srv/app');

    expect(config.dataDir).toBe('/srv/app/data');
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 8080,
      publicUrl: 'http://127.0.0.1:8080',
      publicUrlConfigured: false,
      trustedProxyHops: 0,
    });
    expect(config.warnings).toEqual([]);
    expect(config.database).toEqual({ kind: 'embedded', dataDir: path.join('/srv/app/data', 'postgres') });
    expect(config.redis).toEqual({ kind: 'memory' });
    expect(config.storage).toEqual({ kind: 'file', root: '/srv/app/data/objects' });
    expect(config.limits.maxObjectsPerBatch).toBe(1000);
    expect(Object.isFrozen(config.limits)).toBe(true);
  });

  it('returns postgres, redis and s3 slices when their URLs are set', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@db:5432/lfs',
      REDIS_URL: 'redis://cache:6379/0',
      STORAGE: 's3://bucket/some/prefix/?endpoint=http://127.0.0.1:9000&region=us-east-1&forcePathStyle=true',
      PUBLIC_URL: 'https://lfs.example.com/',
    });

    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/lfs' });
    expect(config.redis).toEqual({ kind: 'redis', url: 'redis://cache:6379/0' });
    expect(config.storage).toEqual({
      kind: 's3',
      bucket: 'bucket',
      prefix: 'some/prefix',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      uploadMemory: 64 * 1024 * 1024,
      connectTimeoutMs: 10_000,
      requestTimeoutMs: 120_000,
      enforcesChecksums: 'auto',
    });
    expect(config.http.publicUrl).toBe('https://lfs.example.com');
  });

  it('reads the proxy limits in seconds and counts, with defaults', () => {
    expect(loadConfig({}).proxy).toEqual({
      headersTimeoutMs: 20_000,
      idleTimeoutMs: 20_000,
      minBodyBytesPerSecond: 1024,
      transferIdleTimeoutMs: 60_000,
      maxRequestsInFlight: 256,
      maxRequestsInFlightPerClient: 64,
      maxUploadsPerUser: 32,
      maxDownloadsPerUser: 64,
      maxDownloadsInFlight: 256,
      apiCallTimeoutMs: 30_000,
      forwardAnswerTimeoutMs: 600_000,
    });
    expect(
      loadConfig({
        HEADERS_TIMEOUT_SECONDS: '2',
        IDLE_TIMEOUT_SECONDS: '1',
        MIN_BODY_BYTES_PER_SECOND: '10',
        TRANSFER_IDLE_TIMEOUT_SECONDS: '3',
        MAX_REQUESTS_IN_FLIGHT: '8',
        MAX_REQUESTS_IN_FLIGHT_PER_CLIENT: '4',
        MAX_UPLOADS_PER_USER: '1',
        MAX_DOWNLOADS_PER_USER: '2',
        MAX_DOWNLOADS_IN_FLIGHT: '3',
        API_CALL_TIMEOUT_SECONDS: '5',
        FORWARD_ANSWER_TIMEOUT_SECONDS: '7',
      }).proxy,
    ).toEqual({
      headersTimeoutMs: 2000,
      idleTimeoutMs: 1000,
      minBodyBytesPerSecond: 10,
      transferIdleTimeoutMs: 3000,
      maxRequestsInFlight: 8,
      maxRequestsInFlightPerClient: 4,
      maxUploadsPerUser: 1,
      maxDownloadsPerUser: 2,
      maxDownloadsInFlight: 3,
      apiCallTimeoutMs: 5000,
      forwardAnswerTimeoutMs: 7000,
    });
    expect(() => loadConfig({ API_CALL_TIMEOUT_SECONDS: '0' })).toThrow(
      /API_CALL_TIMEOUT_SECONDS="0" must be an integer between 1 and 3600/,
    );
  });

  it("reads the API listener's timeouts, the body idle limit above the proxy's own", () => {
    expect(loadConfig({}).api).toMatchObject({
      headersTimeoutMs: 20_000,
      bodyIdleTimeoutMs: 300_000,
      keepAliveTimeoutMs: 5000,
    });
    expect(
      loadConfig({
        API_HEADERS_TIMEOUT_SECONDS: '3',
        API_BODY_IDLE_TIMEOUT_SECONDS: '30',
        API_KEEP_ALIVE_TIMEOUT_SECONDS: '2',
      }).api,
    ).toMatchObject({ headersTimeoutMs: 3000, bodyIdleTimeoutMs: 30_000, keepAliveTimeoutMs: 2000 });
    expect(loadConfig({ IDLE_TIMEOUT_SECONDS: '900' }).api.bodyIdleTimeoutMs).toBe(901_000);
    expect(() => loadConfig({ API_BODY_IDLE_TIMEOUT_SECONDS: '20' })).toThrow(
      /API_BODY_IDLE_TIMEOUT_SECONDS="20" must be an integer between 21 and 86400/,
    );
  });

  it("reads the S3 client's timeouts, the request timeout above the transfer idle limit", () => {
    const s3 = { STORAGE: 's3://bucket/p?region=us-east-1' };
    expect(
      loadConfig({ ...s3, S3_CONNECT_TIMEOUT_SECONDS: '3', S3_REQUEST_TIMEOUT_SECONDS: '90' }).storage,
    ).toMatchObject({ connectTimeoutMs: 3000, requestTimeoutMs: 90_000 });
    expect(loadConfig({ ...s3, TRANSFER_IDLE_TIMEOUT_SECONDS: '600' }).storage).toMatchObject({
      requestTimeoutMs: 601_000,
    });
    expect(() => loadConfig({ ...s3, S3_REQUEST_TIMEOUT_SECONDS: '60' })).toThrow(
      /S3_REQUEST_TIMEOUT_SECONDS="60" must be an integer between 61 and 86400/,
    );
  });

  it('reads S3_ENFORCES_CHECKSUMS as auto, true or false, and refuses anything else', () => {
    const s3 = { STORAGE: 's3://bucket/p?region=us-east-1' };
    expect(loadConfig({ ...s3, S3_ENFORCES_CHECKSUMS: 'true' }).storage).toMatchObject({
      enforcesChecksums: true,
    });
    expect(loadConfig({ ...s3, S3_ENFORCES_CHECKSUMS: 'false' }).storage).toMatchObject({
      enforcesChecksums: false,
    });
    expect(loadConfig({ ...s3, S3_ENFORCES_CHECKSUMS: 'auto' }).storage).toMatchObject({
      enforcesChecksums: 'auto',
    });
    expect(() => loadConfig({ ...s3, S3_ENFORCES_CHECKSUMS: 'yes' })).toThrow(
      /S3_ENFORCES_CHECKSUMS must be one of auto, true, false, not yes/,
    );
  });

  it('refuses an S3_UPLOAD_MEMORY too small for one part of the largest size', () => {
    expect(() =>
      loadConfig({ STORAGE: 's3://bucket/p?region=us-east-1', S3_UPLOAD_MEMORY: String(32 * 1024 * 1024) }),
    ).toThrow(/S3_UPLOAD_MEMORY="33554432" must be an integer between 67108864 and/);
    expect(
      loadConfig({ STORAGE: 's3://bucket/p?region=us-east-1', S3_UPLOAD_MEMORY: String(1024 ** 3) }).storage,
    ).toMatchObject({ kind: 's3', uploadMemory: 1024 ** 3 });
  });

  it('rejects with one error naming every bad variable', () => {
    expect.assertions(6);
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        REDIS_URL: 'not a url',
        STORAGE: 's3://bucket/p',
        LFS_ADMIN_TOKEN: 'short',
      });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toContain('PORT');
      expect(message).toContain('DATABASE_URL must use postgres: or postgresql:');
      expect(message).toContain('REDIS_URL is not a valid URL');
      expect(message).toContain('STORAGE s3:// URL needs a region');
      expect(message).toContain('LFS_ADMIN_TOKEN');
    }
  });

  describe('secrets', () => {
    it.each([
      ['INTERNAL_SECRET', 'change-me-to-a-long-random-internal-secret-value', 'placeholder'],
      ['LFS_ADMIN_TOKEN', 'change-me-to-a-long-random-admin-token', 'placeholder'],
      ['LFS_ADMIN_TOKEN', 'CHANGE_ME_BEFORE_DEPLOYING_1234', 'placeholder'],
      ['INTERNAL_SECRET', 'replace-me-with-openssl-rand-output-please', 'placeholder'],
      ['LFS_ADMIN_TOKEN', 'your-admin-token-here-please', 'placeholder'],
      ['INTERNAL_SECRET', 'x'.repeat(64), 'too easy to guess'],
      ['INTERNAL_SECRET', '0123456789abcdef0123456789abcdef', 'too easy to guess'],
      ['INTERNAL_SECRET', 'abcdefghijklmnopqrstuvwxyz0123456789', 'too easy to guess'],
      ['LFS_ADMIN_TOKEN', 'adminadminadminadmin', 'too easy to guess'],
      ['LFS_ADMIN_TOKEN', 'abababababababababab', 'too easy to guess'],
      ['LFS_ADMIN_TOKEN', 'short', 'at least 16 characters'],
      ['INTERNAL_SECRET', 'Zq8-short-but-random-ish', 'at least 32 characters'],
      ['API_SECRET', 'change-me-to-a-long-random-api-secret-value', 'placeholder'],
      ['METRICS_TOKEN', 'change-me-metrics-token-here', 'placeholder'],
      ['API_SECRET', 'y'.repeat(48), 'too easy to guess'],
      ['API_SECRET', 'Zq8-short-but-random-ish', 'at least 32 characters'],
    ])('rejects %s=%j naming the variable', (name, value, reason) => {
      expect.assertions(4);
      try {
        loadConfig({ [name]: value });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        const { problems } = error as ConfigError;
        expect(problems).toHaveLength(1);
        expect(problems[0]).toContain(name);
        expect(problems[0]).toContain(reason);
      }
    });

    it('names both secrets in one message when both are placeholders', () => {
      expect(() =>
        loadConfig({
          INTERNAL_SECRET: 'change-me-to-a-long-random-internal-secret-value',
          LFS_ADMIN_TOKEN: 'change-me-to-a-long-random-admin-token',
        }),
      ).toThrow(
        /INTERNAL_SECRET is a placeholder[\s\S]*LFS_ADMIN_TOKEN is a placeholder|LFS_ADMIN_TOKEN is a placeholder[\s\S]*INTERNAL_SECRET is a placeholder/,
      );
    });

    it('refuses an API_SECRET equal to INTERNAL_SECRET, which the proxy holds', () => {
      const secret = randomBytes(32).toString('base64');
      expect(() => loadConfig({ INTERNAL_SECRET: secret, API_SECRET: secret })).toThrow(
        /API_SECRET must differ from INTERNAL_SECRET/,
      );
    });

    it('returns generated secrets as given', () => {
      const internalSecret = randomBytes(32).toString('base64');
      const adminToken = randomBytes(12).toString('base64url');
      const apiSecret = randomBytes(32).toString('base64url');
      const metricsToken = randomBytes(12).toString('base64url');

      expect(
        loadConfig({
          INTERNAL_SECRET: internalSecret,
          LFS_ADMIN_TOKEN: adminToken,
          API_SECRET: apiSecret,
          METRICS_TOKEN: metricsToken,
        }).secrets,
      ).toStrictEqual({ internalSecret, adminToken, apiSecret, metricsToken });
      expect(
        loadConfig({ INTERNAL_SECRET: randomBytes(32).toString('hex') }).secrets.internalSecret,
      ).toHaveLength(64);
    });
  });

  describe('logging', () => {
    it('takes LOG_LEVEL and LOG_FORMAT, and refuses other values', () => {
      expect(loadConfig({}).logging).toEqual({ level: 'log', format: undefined });
      expect(loadConfig({ LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' }).logging).toEqual({
        level: 'info',
        format: 'pretty',
      });
      expect(() => loadConfig({ LOG_FORMAT: 'xml', LOG_LEVEL: 'loud' })).toThrow(
        /LOG_LEVEL must be one of[\s\S]*LOG_FORMAT must be one of json, pretty/,
      );
    });

    it('summarises the configuration with where each secret comes from, never its value', () => {
      const adminToken = randomBytes(16).toString('base64url');
      const summary = JSON.stringify(
        configSummary(
          loadConfig({
            LFS_ADMIN_TOKEN: adminToken,
            DATABASE_URL: 'postgres://lfs:db-pw-in-url@db:5432/lfs',
            REDIS_URL: 'redis://:redis-pw-in-url@cache:6379/0',
          }),
        ),
      );
      expect(summary).not.toContain(adminToken);
      expect(summary).not.toContain('db-pw-in-url');
      expect(summary).not.toContain('redis-pw-in-url');
      expect(summary).toContain('postgres://lfs:***@db:5432/lfs');
      expect(JSON.parse(summary)).toMatchObject({
        admin_token: 'environment',
        internal_secret: 'DATA_DIR/internal-secret',
        metrics_token: 'DATA_DIR/metrics-token',
      });
    });
  });

  describe('STORAGE_FALLBACK', () => {
    it('is null when unset', () => {
      expect(loadConfig({}).storageFallback).toBeNull();
    });

    it('reads the old backend beside the new one', () => {
      const config = loadConfig({
        DATA_DIR: '/srv/lfs',
        STORAGE: 's3://lfs/objects?region=eu-west-1',
        STORAGE_FALLBACK: 'file:///srv/lfs/objects',
      });

      expect(config.storage).toMatchObject({ kind: 's3', bucket: 'lfs', prefix: 'objects' });
      expect(config.storageFallback).toEqual({ kind: 'file', root: '/srv/lfs/objects' });
    });

    it('refuses the same place as STORAGE, the default folder included', () => {
      expect(() =>
        loadConfig({ DATA_DIR: '/srv/lfs', STORAGE_FALLBACK: 'file:///srv/lfs/objects/' }),
      ).toThrow('STORAGE_FALLBACK must name another folder or bucket prefix than STORAGE');
    });

    it('names STORAGE_FALLBACK in its own problems, and a shared one once', () => {
      let message = '';
      try {
        loadConfig({
          STORAGE: 's3://new/p?region=x',
          STORAGE_FALLBACK: 's3://old/p',
          AWS_ACCESS_KEY_ID: 'AKIA',
        });
      } catch (error) {
        message = (error as Error).message;
      }

      expect(message).toContain('STORAGE_FALLBACK s3:// URL needs a region');
      expect(message.split('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY').length).toBe(2);
    });
  });

  it('rejects a relative file storage folder', () => {
    expect(() => loadConfig({ STORAGE: 'file:///' })).toThrow(/absolute folder/);
  });

  it.each([
    [{ STORAGE: 'file://data/objects' }, 'three slashes'],
    [{ STORAGE: 's3://b/p?region=x&endpoint=minio:9000' }, 'http:// or https://'],
    [{ PUBLIC_URL: 'https://lfs.example.com/?x=1' }, 'PUBLIC_URL must be a plain base URL'],
    [{ API_URL: 'http://api:9000/prefix' }, 'API_URL must be a plain base URL'],
    [{ PORT: '9000', API_PORT: '9000' }, 'need different ports'],
    [{ TRUSTED_PROXY_HOPS: '-1' }, 'TRUSTED_PROXY_HOPS'],
    [
      { API_URL: 'http://127.0.0.1:8080' },
      "API_URL http://127.0.0.1:8080 points at the proxy's own listener",
    ],
    [
      { API_URL: 'http://localhost:9000', HOST: '0.0.0.0', PORT: '9000' },
      "points at the proxy's own listener",
    ],
    [
      { API_URL: 'http://lfs.internal', HOST: 'lfs.internal', PORT: '80' },
      "points at the proxy's own listener",
    ],
  ])('rejects %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('accepts an API_URL on another port or host than the proxy', () => {
    expect(loadConfig({ API_URL: 'http://127.0.0.1:8081' }).api.url).toBe('http://127.0.0.1:8081');
    expect(loadConfig({ API_URL: 'http://api:8080', HOST: '0.0.0.0' }).api.url).toBe('http://api:8080');
  });

  it('warns when HOST is a wildcard address and PUBLIC_URL is unset', () => {
    const [warning] = loadConfig({ HOST: '0.0.0.0' }).warnings;
    expect(warning).toMatch(
      /^HOST=0\.0\.0\.0 without PUBLIC_URL: clients will be handed hrefs on http:\/\/0\.0\.0\.0:8080/,
    );
    expect(loadConfig({ HOST: '0.0.0.0', PUBLIC_URL: 'https://lfs.example.com' }).warnings).toEqual([]);
  });

  it('warns when PORT=0 leaves the public URL without a port', () => {
    expect(loadConfig({ PORT: '0' }).warnings).toEqual([expect.stringMatching(/^PORT=0 without PUBLIC_URL/)]);
    expect(loadConfig({ PORT: '0', PUBLIC_URL: 'http://lfs:9000' }).warnings).toEqual([]);
  });

  describe('garbage collection durations', () => {
    it('defaults to no schedule and 7-day graces', () => {
      expect(loadConfig({}).gc).toEqual({
        intervalMs: null,
        linkGraceMs: 7 * 86_400_000,
        purgeGraceMs: 7 * 86_400_000,
      });
    });

    it.each([
      ['30s', 30_000],
      ['15m', 900_000],
      ['12h', 43_200_000],
      ['2w', 14 * 86_400_000],
      ['1h30m', 5_400_000],
      ['1d 12h', 129_600_000],
      ['0', 0],
    ])('reads %s', (value, ms) => {
      expect(loadConfig({ GC_LINK_GRACE: value }).gc.linkGraceMs).toBe(ms);
    });

    it('takes off (or 0) as no schedule', () => {
      expect(loadConfig({ GC_INTERVAL: 'off' }).gc.intervalMs).toBeNull();
      expect(loadConfig({ GC_INTERVAL: '0' }).gc.intervalMs).toBeNull();
      expect(loadConfig({ GC_INTERVAL: '6h' }).gc.intervalMs).toBe(21_600_000);
    });

    it('takes a running job for lost after 30 s without a heartbeat unless JOB_STALE_SECONDS says otherwise', () => {
      expect(loadConfig({}).jobs).toEqual({ staleSeconds: 30 });
      expect(loadConfig({ JOB_STALE_SECONDS: '6' }).jobs.staleSeconds).toBe(6);
      expect(() => loadConfig({ JOB_STALE_SECONDS: '2' })).toThrow(
        /JOB_STALE_SECONDS="2" must be an integer between 5 and 86400/,
      );
    });

    it('names every bad duration', () => {
      expect(() => loadConfig({ GC_INTERVAL: 'daily', GC_PURGE_GRACE: '7', GC_LINK_GRACE: 'off' })).toThrow(
        /GC_INTERVAL="daily" must be a duration[\s\S]*GC_LINK_GRACE="off" must be a duration[\s\S]*GC_PURGE_GRACE="7"/,
      );
    });
  });
  describe('direct transfers', () => {
    const s3 = { STORAGE: 's3://bucket/lfs?region=eu-west-1' };

    it('defaults to off, 5 GiB and rehashing', () => {
      expect(loadConfig({}).directTransfers).toEqual({
        mode: 'off',
        uploadMax: 5 * 1024 ** 3,
        uploadVerify: 'rehash',
      });
    });

    it('takes download or all with S3 storage, a smaller DIRECT_UPLOAD_MAX and checksum verification', () => {
      expect(loadConfig({ ...s3, DIRECT_TRANSFERS: 'download' }).directTransfers.mode).toBe('download');
      expect(
        loadConfig({
          ...s3,
          DIRECT_TRANSFERS: 'all',
          DIRECT_UPLOAD_MAX: '1048576',
          DIRECT_UPLOAD_VERIFY: 'checksum',
        }).directTransfers,
      ).toEqual({ mode: 'all', uploadMax: 1048576, uploadVerify: 'checksum' });
    });

    it('refuses direct transfers while a storage migration reads from STORAGE_FALLBACK', () => {
      expect(() =>
        loadConfig({ ...s3, STORAGE_FALLBACK: 'file:///srv/old-objects', DIRECT_TRANSFERS: 'all' }),
      ).toThrow(
        'DIRECT_TRANSFERS=all cannot be used with STORAGE_FALLBACK; turn it on once the storage migration is done',
      );
    });

    it('refuses direct transfers without S3 storage, unknown modes and uploads beyond one PUT', () => {
      expect(() => loadConfig({ DIRECT_TRANSFERS: 'download' })).toThrow(
        'DIRECT_TRANSFERS=download needs S3 storage (STORAGE=s3://…)',
      );
      const problems = (() => {
        try {
          loadConfig({
            ...s3,
            DIRECT_TRANSFERS: 'upload',
            DIRECT_UPLOAD_MAX: String(5 * 1024 ** 3 + 1),
            DIRECT_UPLOAD_VERIFY: 'trust',
          });
        } catch (error) {
          return error instanceof ConfigError ? error.problems : [];
        }
        return [];
      })();
      expect(problems).toEqual([
        'DIRECT_TRANSFERS must be one of off, download, all',
        'DIRECT_UPLOAD_VERIFY must be one of rehash, checksum',
        `DIRECT_UPLOAD_MAX="${5 * 1024 ** 3 + 1}" must be an integer between 0 and ${5 * 1024 ** 3}`,
      ]);
    });
  });

  describe('scrub', () => {
    it('returns no schedule, a 1% sample and no rate limit when unset', () => {
      expect(loadConfig({}).scrub).toEqual({ intervalMs: null, sample: 0.01, bytesPerSecond: null });
    });

    it('reads the schedule, the sample and the rate', () => {
      expect(
        loadConfig({ SCRUB_INTERVAL: '1d', SCRUB_SAMPLE: '0.25', SCRUB_RATE: '50000000' }).scrub,
      ).toEqual({
        intervalMs: 86_400_000,
        sample: 0.25,
        bytesPerSecond: 50_000_000,
      });
      expect(loadConfig({ SCRUB_SAMPLE: '1', SCRUB_RATE: '0' }).scrub).toMatchObject({
        sample: 1,
        bytesPerSecond: null,
      });
    });

    it('names every bad sample and rate', () => {
      expect(() => loadConfig({ SCRUB_SAMPLE: '0', SCRUB_RATE: 'fast' })).toThrow(
        /SCRUB_SAMPLE="0" must be a fraction greater than 0 and at most 1[\s\S]*SCRUB_RATE="fast" must be an integer/,
      );
      expect(() => loadConfig({ SCRUB_SAMPLE: '1.5' })).toThrow(/SCRUB_SAMPLE="1.5" must be a fraction/);
      expect(() => loadConfig({ SCRUB_SAMPLE: '10%' })).toThrow(/SCRUB_SAMPLE="10%" must be a fraction/);
    });
  });
});
