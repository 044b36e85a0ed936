import 'reflect-metadata';

import type { Server } from 'node:http';

import { ConsoleLogger, Logger } from '@nestjs/common';
import { ConfigError, describeListenError, loadConfig } from '@lfs-depot/config';

import { createApiApp } from './api.app.js';
import { startApiRuntime } from './bootstrap/api-runtime.factory.js';
import { QuietLogger } from './bootstrap/quiet.logger.js';
import { shutdownState } from './bootstrap/shutdown-state.js';
import { StartupError } from './core/startup-error.js';

const logger = new Logger('lfs-depot api');

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  // The API builds the hrefs clients are handed, so it is the one to say when they will not work.
  for (const warning of config.warnings) {
    logger.warn(warning);
  }
  const started = await startApiRuntime(config, logger);
  const levels = (['error', 'warn', 'log', 'debug'] as const).slice(
    0,
    ['error', 'warn', 'log', 'debug'].indexOf(config.logLevel) + 1,
  );
  const app = await createApiApp(started.runtime, {
    logger:
      config.logLevel === 'debug'
        ? new ConsoleLogger({ logLevels: [...levels] })
        : new QuietLogger({ logLevels: [...levels] }),
  });
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
  logger.log(`API listening on http://${config.api.host}:${port} (internal; the proxy is the front door)`);
  if (started.adminTokenFile) {
    logger.log(`Admin token: ${started.adminTokenFile} (mode 0600; use it as LFS_DEPOT_TOKEN)`);
  }
  process.send?.({ ready: 'api', port });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    shutdownState.requested = true;
    logger.log(`${signal}: shutting down`);
    void (async () => {
      await app.close();
      await started.close();
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
  } else {
    logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
  process.exit(1);
});
