// First: it must run before any module that builds an Intl.DateTimeFormat when loaded.
import { restoreDateTimeFormat } from './bootstrap/deferred-date-time-format.js';
import 'reflect-metadata';

import type { Server } from 'node:http';

import { ConfigError, configSummary, describeListenError, loadConfig } from '@lfs-depot/config';
import { createLogger } from '@lfs-depot/observability';
import type { Logger } from '@lfs-depot/observability';

import { closeApiApp, createApiApp } from './api.app.js';
import { startApiRuntime } from './bootstrap/api-runtime.factory.js';
import { IdleHeapTrimmer } from './bootstrap/idle-heap-trimmer.js';
import { shutdownState } from './bootstrap/shutdown-state.js';
import { StartupError } from './core/startup-error.js';

let logger: Logger | undefined;

async function main(): Promise<void> {
  restoreDateTimeFormat();
  const config = loadConfig(process.env);
  const log = createLogger({ app: 'api', level: config.logging.level, format: config.logging.format });
  logger = log;
  log.info({ config: configSummary(config) }, 'Starting the lfs-depot API');
  // The API builds the hrefs clients are handed, so it is the one to say when they will not work.
  for (const warning of config.warnings) {
    log.warn(warning);
  }
  const started = await startApiRuntime(config, log);
  const app = await createApiApp(started.runtime, { logger: log });
  const server = app.getHttpServer() as Server;
  try {
    // Listening here rather than through app.listen(), which logs a failure with its stack before rethrowing it.
    await app.init();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.api.port, config.api.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // What already runs (the embedded PostgreSQL above all) must not outlive this failed start.
    await app.close().catch(() => undefined);
    await started.close();
    const line = describeListenError('API_PORT', config.api.host, config.api.port, error);
    throw line ? new StartupError(line, { cause: error }) : error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.api.port;
  log.info(`API listening on http://${config.api.host}:${port} (internal; the proxy is the front door)`);
  if (started.adminTokenFile) {
    log.info(`Admin token: ${started.adminTokenFile} (mode 0600; use it as LFS_DEPOT_TOKEN)`);
  }
  if (started.metricsTokenFile) {
    log.info(
      `Metrics token: ${started.metricsTokenFile} (mode 0600; Prometheus's bearer token for /metrics)`,
    );
  }
  process.send?.({ ready: 'api', port });
  // Exposed by scripts/api-process.mjs, as npm start launches the API; without it the heap keeps its start-up size.
  const gc = (globalThis as { gc?: () => void }).gc;
  const trimmer = gc ? new IdleHeapTrimmer({ gc }) : undefined;
  trimmer?.start();

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    trimmer?.stop();
    shutdownState.requested = true;
    log.info({ signal }, `${signal}: shutting down`);
    void (async () => {
      await closeApiApp(app);
      await started.close();
      log.info('API stopped');
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Launched by `npm start`, which died without stopping us (kill -9): stop rather than linger as an orphan.
  process.on('disconnect', () => shutdown('npm start went away'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StartupError) {
    console.error(`lfs-depot: ${error.message}`);
  } else if (logger) {
    logger.fatal({ err: error }, `The API failed to start: ${String(error)}`);
  } else {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
  process.exit(1);
});
