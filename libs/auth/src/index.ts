export * from './basic-credentials.js';
export * from './internal-token.js';
