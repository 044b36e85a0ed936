import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';

import { ConfigError } from './load-config.js';

/**
 * Mode of DATA_DIR when this process creates it: private to its owner. As root, others may still pass through (not
 * list): the embedded PostgreSQL then runs as `postgres` and must reach its own cluster folder inside.
 */
export function dataDirMode(): number {
  return process.getuid?.() === 0 ? 0o711 : 0o700;
}

/** Creates DATA_DIR (and missing parents) with dataDirMode(); an existing folder keeps the mode it has. */
export async function ensureDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: dataDirMode() });
}

/** Reads a secret file, refusing one that others could read or write: whoever can read it holds the secret. */
async function readPrivateSecretFile(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const { mode } = await handle.stat();
    if ((mode & 0o077) !== 0) {
      throw new ConfigError([
        `${file} has mode ${(mode & 0o777).toString(8).padStart(4, '0')}, so other users may read the secret ` +
          `in it: run 'chmod 600 ${file}' (and replace the secret if it may have been read), or delete the file ` +
          `so that a new one is generated`,
      ]);
    }
    return (await handle.readFile('utf8')).trim();
  } finally {
    await handle.close();
  }
}

/**
 * Returns the secret stored in `file`, creating it (mode 0600) with a fresh random value when absent, and refuses
 * an existing one with a looser mode. Two processes starting at once agree: the loser of the exclusive create reads
 * the winner's value.
 */
export async function readOrCreateSecretFile(file: string): Promise<{ value: string; created: boolean }> {
  await ensureDataDir(path.dirname(file));
  const fresh = randomBytes(32).toString('base64url');
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      // The umask can only remove bits, but say what we mean rather than rely on it.
      await handle.chmod(0o600);
      await handle.writeFile(`${fresh}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { value: fresh, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw error;
    }
  }
  // The creator may still be writing; a short retry covers that window.
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const value = await readPrivateSecretFile(file);
    if (value) {
      return { value, created: false };
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${file} exists but is empty; delete it so a new secret can be generated`);
}

/** The internal proxy/API secret: INTERNAL_SECRET, else DATA_DIR/internal-secret (created on first start). */
export async function resolveInternalSecret(config: {
  dataDir: string;
  secrets: { internalSecret?: string };
}): Promise<string> {
  return (
    config.secrets.internalSecret ??
    (await readOrCreateSecretFile(path.join(config.dataDir, 'internal-secret'))).value
  );
}

/**
 * The API's own secret: API_SECRET, else DATA_DIR/api-secret (created on first start). Only the API calls this: the
 * proxy must never hold it.
 */
export async function resolveApiSecret(config: {
  dataDir: string;
  secrets: { apiSecret?: string };
}): Promise<string> {
  return (
    config.secrets.apiSecret ?? (await readOrCreateSecretFile(path.join(config.dataDir, 'api-secret'))).value
  );
}

/** The bootstrap admin token: LFS_ADMIN_TOKEN, else DATA_DIR/admin-token (created on first start). */
export async function resolveAdminToken(config: {
  dataDir: string;
  secrets: { adminToken?: string };
}): Promise<{ value: string; file?: string }> {
  if (config.secrets.adminToken) {
    return { value: config.secrets.adminToken };
  }
  const file = path.join(config.dataDir, 'admin-token');
  return { value: (await readOrCreateSecretFile(file)).value, file };
}

/** The bearer token of GET /metrics: METRICS_TOKEN, else DATA_DIR/metrics-token (created on first start). */
export async function resolveMetricsToken(config: {
  dataDir: string;
  secrets: { metricsToken?: string };
}): Promise<{ value: string; file?: string }> {
  if (config.secrets.metricsToken) {
    return { value: config.secrets.metricsToken };
  }
  const file = path.join(config.dataDir, 'metrics-token');
  return { value: (await readOrCreateSecretFile(file)).value, file };
}
