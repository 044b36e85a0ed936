import type { StorageConfig } from '@lfs-depot/config';

import { LocalStorage } from './local.storage.js';
import type { ObjectStorage } from './object-storage.js';
import { S3Storage } from './s3.storage.js';

/** Builds the backend named by the storage slice of the configuration. */
export function createStorage(config: StorageConfig): ObjectStorage {
  switch (config.kind) {
    case 'file':
      return new LocalStorage(config.root);
    case 's3':
      return new S3Storage(config);
  }
}
