export * from './basic-credentials.js';
export * from './internal-token.js';
export * from './keys.js';
export * from './transfer-token.js';
export * from './download-grant.js';
