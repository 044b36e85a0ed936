export * from './logger.js';
export * from './metrics.js';
export * from './request-log.js';
export * from './route-family.js';
