export * from './config.schema.js';
export * from './config.loader.js';
export * from './config.service.js';
export * from './config.module.js';
export * from './data-dir.js';
