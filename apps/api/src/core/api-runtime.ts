import type { Config } from '@lfs-depot/config';
import type { ObjectStorage } from '@lfs-depot/storage';
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
}

/** DI token of the ObjectStorage (an interface, so it needs one). */
export const OBJECT_STORAGE = 'ObjectStorage';
/** DI token of the validated Config. */
export const CONFIG = 'Config';
