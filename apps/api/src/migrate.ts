import 'reflect-metadata';

import { ConfigError, loadConfig } from '@lfs-depot/config';

import { StartupError } from './core/startup-error.js';
import { createDataSource, runMigrationsLocked } from './database/data-source.js';
import { startEmbeddedPostgres } from './database/embedded-postgres.js';

/** `npm run migration:run`: applies pending migrations (the API also does this at startup) and exits. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const embedded =
    config.database.kind === 'embedded' ? await startEmbeddedPostgres(config.database.dataDir) : undefined;
  const dataSource = createDataSource(
    embedded?.url ?? (config.database.kind === 'postgres' ? config.database.url : ''),
  );
  try {
    await dataSource.initialize();
    const applied = await runMigrationsLocked(dataSource);
    console.log(applied.length > 0 ? `Applied: ${applied.join(', ')}` : 'No pending migrations');
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(
    error instanceof ConfigError || error instanceof StartupError
      ? `lfs-depot: ${error.message}`
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error),
  );
  process.exit(1);
});
