import { describe, expect, it } from '@jest/globals';

import { createStorage } from './create-storage.js';
import { FallbackStorage } from './fallback.storage.js';
import { LocalStorage } from './local.storage.js';
import { S3Storage } from './s3.storage.js';

describe(createStorage.name, () => {
  it('builds local-disk storage for a file configuration', async () => {
    const storage = await createStorage({ kind: 'file', root: '/srv/lfs' });
    expect(storage).toBeInstanceOf(LocalStorage);
    expect(storage.kind).toBe('file');
  });

  it('loads the S3 backend on demand for an s3 configuration', async () => {
    const storage = await createStorage({
      kind: 's3',
      bucket: 'lfs',
      prefix: 'objects',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      connectTimeoutMs: 10_000,
      requestTimeoutMs: 120_000,
      uploadMemory: 256 * 1024 * 1024,
      enforcesChecksums: 'auto',
    });
    expect(storage).toBeInstanceOf(S3Storage);
    expect(storage.kind).toBe('s3');
  });
});

describe(`${createStorage.name} with a fallback`, () => {
  it('puts the new backend in front of the old one', async () => {
    const storage = await createStorage(
      { kind: 'file', root: '/srv/lfs/new' },
      { kind: 'file', root: '/srv/lfs/old' },
    );

    expect(storage).toBeInstanceOf(FallbackStorage);
    const { primary, fallback } = storage as FallbackStorage;
    expect(primary).toMatchObject({ root: '/srv/lfs/new' });
    expect(fallback).toMatchObject({ root: '/srv/lfs/old' });
  });

  it('builds the bare backend when the fallback is null', async () => {
    expect(await createStorage({ kind: 'file', root: '/srv/lfs' }, null)).toBeInstanceOf(LocalStorage);
  });
});
