export * from './create-storage.js';
export * from './local.storage.js';
export * from './object-key.js';
export * from './object-storage.js';
export * from './s3.storage.js';
export * from './storage.errors.js';
export * from './verifying-stream.js';
