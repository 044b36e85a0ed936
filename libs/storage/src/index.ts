export * from './create-direct-transfers.js';
export * from './create-storage.js';
export * from './direct-transfers.js';
export * from './local.storage.js';
export * from './object-key.js';
export * from './object-storage.js';
// S3Storage is loaded on demand (createStorage, or '@lfs-depot/storage/s3'): the AWS SDK more than doubles a process's
// heap, and every garbage collection pays for that, hundreds of times per GiB streamed.
export type { S3Storage } from './s3.storage.js';
export type { S3DirectTransfers } from './s3-direct-transfers.js';
export * from './storage.errors.js';
export * from './storage-failure.js';
export * from './verifying-stream.js';
export * from './part-buffer-pool.js';
export * from './fallback.storage.js';
export * from './byte-rate-limiter.js';
export * from './stored-object-check.js';
export * from './storage-marker.js';
