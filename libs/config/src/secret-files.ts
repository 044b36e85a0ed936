import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Returns the secret stored in `file`, creating it (mode 0600) with a fresh random value when absent.
 * Two processes starting at once agree: the loser of the exclusive create reads the winner's value.
 */
export async function readOrCreateSecretFile(file: string): Promise<{ value: string; created: boolean }> {
  await mkdir(path.dirname(file), { recursive: true });
  const fresh = randomBytes(32).toString('base64url');
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
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
    const value = (await readFile(file, 'utf8')).trim();
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
