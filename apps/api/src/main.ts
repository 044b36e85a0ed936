import 'reflect-metadata';

import { ConsoleLogger, Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@lfs-depot/config';

import { createApiApp } from './api.app.js';
import { startApiRuntime } from './bootstrap/api-runtime.factory.js';
import { QuietLogger } from './bootstrap/quiet.logger.js';
import { shutdownState } from './bootstrap/shutdown-state.js';
import { StartupError } from './bootstrap/startup-error.js';

const logger = new Logger('lfs-depot api');

async function main(): Promise<void> {
  const config = loadConfig(process.env);
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
  await app.listen(config.api.port, config.api.host);
  logger.log(
    `API listening on http://${config.api.host}:${config.api.port} (internal; the proxy is the front door)`,
  );
  if (started.adminTokenFile) {
    logger.log(`Admin token: ${started.adminTokenFile} (mode 0600; use it as LFS_DEPOT_TOKEN)`);
  }
  process.send?.({ ready: 'api' });

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
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StartupError) {
    console.error(`lfs-depot: ${error.message}`);
  } else {
    logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
  process.exit(1);
});
