export * from './s3-server.js';
export * from './upload-bodies.js';
