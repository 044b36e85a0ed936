import { ConfigError, loadConfig, resolveInternalSecret } from '@lfs-depot/config';
import { createStorage } from '@lfs-depot/storage';

import { ProxyServer } from './proxy.server.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const internalSecret = await resolveInternalSecret(config);
  const storage = await createStorage(config.storage);
  const proxy = new ProxyServer({
    apiUrl: config.api.url,
    internalSecret,
    storage,
    trustedProxyHops: config.http.trustedProxyHops,
  });
  const port = await proxy.listen(config.http.port, config.http.host);
  console.log(
    `lfs-depot listening on http://${config.http.host}:${port} (public URL ${config.http.publicUrl})`,
  );
  process.send?.({ ready: 'proxy', port });

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    void proxy.close().then(() => process.exit(0));
    // Long transfers get a grace period, not forever.
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(
    error instanceof ConfigError ? error.message : error instanceof Error ? error.stack : String(error),
  );
  process.exit(1);
});
