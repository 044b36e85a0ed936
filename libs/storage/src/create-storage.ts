import type { StorageConfig } from '@lfs-depot/config';

import { LocalStorage } from './local.storage.js';
import type { ObjectStorage } from './object-storage.js';

/**
 * Builds the backend named by the storage slice of the configuration. The S3 backend (and the AWS SDK behind it) is
 * only loaded when configured: the SDK makes the heap much larger, and every garbage collection that streaming a
 * large object triggers walks all of it, which slowed local-disk downloads badly (bench/README.md).
 */
export async function createStorage(config: StorageConfig): Promise<ObjectStorage> {
  switch (config.kind) {
    case 'file':
      return new LocalStorage(config.root);
    case 's3': {
      const { S3Storage } = await import('./s3.storage.js');
      return new S3Storage(config);
    }
  }
}
