export * from './object-storage.contract.js';
export * from './s3-server.js';
export * from './upload-bodies.js';
export * from './waiting.js';
export * from './oids.js';
export * from './basic-authorizations.js';
export * from './hostile-json.js';
export * from './failed-uploads.js';
