export * from './gateway-process.js';
export * from './http-client.js';
export * from './crash-helpers.js';
