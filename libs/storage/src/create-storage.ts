import type { StorageConfig } from '@lfs-depot/config';

import { LocalStorage } from './local.storage.js';
import type { ObjectStorage } from './object-storage.js';

/**
 * Builds the backend named by the storage slice of the configuration. The S3 backend (and the AWS SDK behind it) is
 * only loaded when configured: a heap twice the size makes each of the garbage collections that streaming a large
 * object triggers (one per ~64 MiB of buffers) twice as expensive, which cost local-disk downloads half their speed.
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
