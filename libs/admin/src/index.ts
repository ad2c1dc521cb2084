export * from './admin-commands.js';
export * from './admin-handler.js';
export * from './database-notice.js';
export * from './admin-services.js';
