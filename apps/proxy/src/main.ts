import type { Server } from 'node:net';

import {
  ConfigError,
  configSummary,
  describeListenError,
  loadConfig,
  resolveInternalSecret,
} from '@lfs-depot/config';
import { createLogger } from '@lfs-depot/observability';
import type { Logger } from '@lfs-depot/observability';
import { createStorage, MULTIPART_UPLOAD_MAX_AGE_MS, TEMP_FILE_MAX_AGE_MS } from '@lfs-depot/storage';
import type { ObjectStorage } from '@lfs-depot/storage';

import { ProxyServer } from './proxy.server.js';

/** Thrown for failures that one line explains; printed without a stack trace. */
class ProxyStartupError extends Error {}

/**
 * `npm start` binds PORT=0 itself, so the API's hrefs can name the real port before the proxy runs, and hands the
 * listening socket over (LFS_DEPOT_INHERIT_LISTENER=1).
 */
function inheritedListener(): Promise<Server> {
  return new Promise((resolve) => {
    process.on('message', (message: unknown, handle: unknown) => {
      if ((message as { listener?: unknown } | null)?.listener === true && handle) {
        resolve(handle as Server);
      }
    });
    process.send?.({ wants: 'listener' });
  });
}

const SWEEP_INTERVAL_MS = 3600 * 1000;

/**
 * What crashed uploads (kill -9) left behind, temp files or S3 multipart uploads, is removed at start and every hour;
 * nothing else would.
 */
function sweepTempFilesNowAndHourly(storage: ObjectStorage, logger: Logger): void {
  const sweep = (): void => {
    storage
      .sweepTempFiles?.(storage.kind === 's3' ? MULTIPART_UPLOAD_MAX_AGE_MS : TEMP_FILE_MAX_AGE_MS)
      .then((removed) => {
        if (removed > 0) {
          logger.info(
            { removed },
            `removed ${removed} upload ${storage.kind === 's3' ? 'S3 multipart upload' : 'temp file'}(s) left by uploads that never finished`,
          );
        }
      })
      .catch((error: unknown) =>
        logger.warn({ err: error }, `Sweeping upload temp files failed: ${String(error)}`),
      );
  };
  sweep();
  setInterval(sweep, SWEEP_INTERVAL_MS).unref();
}

let logger: Logger | undefined;

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger({ app: 'proxy', level: config.logging.level, format: config.logging.format });
  logger = log;
  log.info({ config: configSummary(config) }, 'Starting the lfs-depot proxy');
  if (config.secrets.apiSecret !== undefined) {
    // The public proxy is the part most exposed to attack: what it holds must not let anyone mint credentials.
    throw new ProxyStartupError(
      "API_SECRET is set in the proxy's environment; it mints transfer tokens and upload tickets, and only the API " +
        'may hold it: unset it for the proxy (set it for the API alone)',
    );
  }
  const internalSecret = await resolveInternalSecret(config);
  const storage = await createStorage(config.storage, config.storageFallback);
  const proxy = new ProxyServer({
    apiUrl: config.api.url,
    internalSecret,
    storage,
    logger: log,
    trustedProxyHops: config.http.trustedProxyHops,
    limits: config.proxy,
  });
  let port: number;
  try {
    port =
      process.env.LFS_DEPOT_INHERIT_LISTENER === '1' && process.send
        ? await proxy.listen(await inheritedListener())
        : await proxy.listen(config.http.port, config.http.host);
  } catch (error) {
    const line = describeListenError('PORT', config.http.host, config.http.port, error);
    throw line ? new ProxyStartupError(line, { cause: error }) : error;
  }
  // A derived public URL names the port actually bound (PORT=0 picks one).
  const publicUrl = config.http.publicUrlConfigured
    ? config.http.publicUrl
    : config.http.publicUrl.replace(/:\d+$/, `:${port}`);
  sweepTempFilesNowAndHourly(storage, log);
  // On S3 this is where the checksum probe runs, before the first upload needs its answer.
  void storage.describeUploads?.().then((line) => log.info(line));
  log.info(`lfs-depot listening on http://${config.http.host}:${port} (public URL ${publicUrl})`);
  process.send?.({ ready: 'proxy', port });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    log.info({ signal }, `${signal}: shutting down (transfers under way get 10 seconds)`);
    void proxy.close().then(() => {
      log.info('Proxy stopped');
      process.exit(0);
    });
    // Long transfers get a grace period, not forever.
    setTimeout(() => {
      log.warn('Proxy stopped with transfers still under way');
      process.exit(0);
    }, 10_000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Launched by `npm start`, which died without stopping us (kill -9): stop rather than linger as an orphan.
  process.on('disconnect', () => shutdown('npm start went away'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof ProxyStartupError) {
    console.error(error instanceof ConfigError ? error.message : `lfs-depot: ${error.message}`);
  } else if (logger) {
    logger.fatal({ err: error }, `The proxy failed to start: ${String(error)}`);
  } else {
    console.error(error instanceof Error ? error.stack : String(error));
  }
  process.exit(1);
});
