import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { ConfigError } from './load-config.js';
import {
  dataDirMode,
  readOrCreateSecretFile,
  resolveApiSecret,
  resolveInternalSecret,
} from './secret-files.js';

describe(readOrCreateSecretFile.name, () => {
  let base: string;

  beforeEach(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'secret-files-'));
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('returns a fresh secret in a file readable by its owner only, in a private new DATA_DIR', async () => {
    const file = path.join(base, 'data', 'internal-secret');

    const { value, created } = await readOrCreateSecretFile(file);

    expect(created).toBe(true);
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(dataDirMode());
    expect(dataDirMode() & 0o066).toBe(0);
  });

  it('returns the stored secret when the file is private', async () => {
    const file = path.join(base, 'admin-token');
    await writeFile(file, 'kept-secret-value\n', { mode: 0o600 });

    expect(await readOrCreateSecretFile(file)).toEqual({ value: 'kept-secret-value', created: false });
  });

  it.each([0o644, 0o640, 0o604, 0o660, 0o606])(
    'rejects an existing file with mode %o, saying how to fix it',
    async (mode) => {
      const file = path.join(base, 'admin-token');
      await writeFile(file, 'kept-secret-value\n');
      await chmod(file, mode);

      const error = await readOrCreateSecretFile(file).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(`${file} has mode 0${mode.toString(8)}`);
      expect((error as Error).message).toContain(`chmod 600 ${file}`);
      expect(await readFile(file, 'utf8')).toBe('kept-secret-value\n');
    },
  );
});

describe(resolveApiSecret.name, () => {
  let base: string;

  beforeEach(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'secret-files-'));
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('generates DATA_DIR/api-secret (0600) apart from the internal secret, and keeps it', async () => {
    const config = { dataDir: base, secrets: {} };

    const apiSecret = await resolveApiSecret(config);

    expect((await stat(path.join(base, 'api-secret'))).mode & 0o777).toBe(0o600);
    expect(await resolveApiSecret(config)).toBe(apiSecret);
    expect(await resolveInternalSecret(config)).not.toBe(apiSecret);
  });

  it('takes API_SECRET when it is set, writing no file', async () => {
    const apiSecret = await resolveApiSecret({
      dataDir: base,
      secrets: { apiSecret: 'configured-api-secret' },
    });

    expect(apiSecret).toBe('configured-api-secret');
    await expect(stat(path.join(base, 'api-secret'))).rejects.toThrow(/ENOENT/);
  });
});
