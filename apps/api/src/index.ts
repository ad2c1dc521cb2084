export * from './api.module.js';
export * from './admin-handler.js';
export * from './admin-commands.js';
