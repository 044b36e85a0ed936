export * from './config.schema.js';
export * from './load-config.js';
export * from './secret-files.js';
export * from './close-http-server.js';
export * from './listen-errors.js';
export * from './config-summary.js';
