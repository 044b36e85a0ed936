import type { Logger } from '@lfs-depot/observability';
import type { ProxyConfig } from '@lfs-depot/config';
import type { DirectTransfers, ObjectStorage } from '@lfs-depot/storage';
import { freePort } from '@lfs-depot/testing';

import { ProxyServer } from '../../apps/proxy/src/proxy.server.js';
import type { ApiHarness } from './api-harness.js';
import { startApiHarness, TEST_INTERNAL_SECRET } from './api-harness.js';
import { teardown } from './teardown-watch.js';

export interface Stack {
  api: ApiHarness;
  proxy: ProxyServer;
  /** The public URL (the proxy). */
  url: string;
  close(): Promise<void>;
}

/**
 * Both apps as in production: the proxy in front, the API behind it, sharing one storage. With `loggers`, each app
 * writes its lines there (none otherwise).
 */
export async function startStack(
  env: Record<string, string> = {},
  options: {
    storage?: ObjectStorage;
    direct?: DirectTransfers;
    loggers?: { api: Logger; proxy: Logger };
    proxyLimits?: Partial<ProxyConfig>;
  } = {},
): Promise<Stack> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const api = await startApiHarness(
    { PUBLIC_URL: url, ...env },
    { storage: options.storage, direct: options.direct, logger: options.loggers?.api },
  );
  const proxy = new ProxyServer({
    apiUrl: api.url,
    internalSecret: TEST_INTERNAL_SECRET,
    storage: api.storage,
    logger: options.loggers?.proxy,
    limits: options.proxyLimits,
  });
  await proxy.listen(port, '127.0.0.1');
  return {
    api,
    proxy,
    url,
    close: () =>
      teardown('stack', [
        ['proxy.close', () => proxy.close()],
        ['api.close', () => api.close()],
      ]),
  };
}
