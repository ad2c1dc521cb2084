export * from './error-status.js';
export * from './access-context.js';
export * from './json-logger.js';
export * from './error-response.js';
export * from './metrics.js';
export * from './admin-socket.js';
export * from './health.controller.js';
export * from './gateway.js';
