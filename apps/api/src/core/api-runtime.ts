import type { Config } from '@lfs-depot/config';
import type { DirectTransfers, ObjectStorage } from '@lfs-depot/storage';
import type { DataSource } from 'typeorm';

import type { SharedCache } from '../cache/shared-cache.js';
import type { ApiSecrets } from './api-secrets.js';

/** Everything the API needs from the outside world, built once at startup (or by a test) and injected. */
export interface ApiRuntime {
  config: Config;
  dataSource: DataSource;
  cache: SharedCache;
  secrets: ApiSecrets;
  storage: ObjectStorage;
  /**
   * The storage id that STORAGE's marker and this database share (ensureStorageIdentity), told to the proxy so that it
   * can check it writes to the same storage; undefined only for test runtimes that skip the check.
   */
  storageId?: string;
  /** Presigned transfers on the S3 bucket (DIRECT_TRANSFERS other than off); absent otherwise. */
  direct?: DirectTransfers;
}

/** DI token of the ObjectStorage (an interface, so it needs one). */
export const OBJECT_STORAGE = 'ObjectStorage';
/** DI token of the DirectTransfers, or null when DIRECT_TRANSFERS is off. */
export const DIRECT_TRANSFERS = 'DirectTransfers';
/** DI token of the runtime's storage id (ApiRuntime.storageId), or null when it was not checked. */
export const STORAGE_ID = 'StorageId';
/** DI token of the validated Config. */
export const CONFIG = 'Config';
