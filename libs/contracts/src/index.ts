export * from './batch.types.js';
export * from './internal-upload.types.js';
export * from './lfs-errors.js';
export * from './lfs-paths.js';
export * from './lock.types.js';
export * from './media-types.js';
export * from './oid.js';
export * from './client-address.js';
