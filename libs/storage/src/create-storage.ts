import type { StorageConfig } from '@lfs-depot/config';

import { FallbackStorage } from './fallback.storage.js';
import { LocalStorage } from './local.storage.js';
import type { ObjectStorage } from './object-storage.js';

/**
 * Builds the backend named by the storage slice of the configuration, behind a FallbackStorage when a fallback
 * (STORAGE_FALLBACK) is configured too. The S3 backend (and the AWS SDK behind it) is only loaded when configured:
 * the SDK makes the heap much larger, and every garbage collection that streaming a large object triggers walks all
 * of it, which slowed local-disk downloads badly (bench/README.md).
 */
export async function createStorage(
  config: StorageConfig,
  fallback: StorageConfig | null = null,
): Promise<ObjectStorage> {
  const primary = await createBackend(config);
  return fallback ? new FallbackStorage(primary, await createBackend(fallback)) : primary;
}

async function createBackend(config: StorageConfig): Promise<ObjectStorage> {
  switch (config.kind) {
    case 'file':
      return new LocalStorage(config.root);
    case 's3': {
      const { S3Storage } = await import('./s3.storage.js');
      return new S3Storage(config);
    }
  }
}
