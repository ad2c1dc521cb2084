export * from './api.module.js';
export * from './admin-handler.js';
