export * from './gateway-process.js';
export * from './http-client.js';
export * from './test-database.js';
export * from './browser.js';
export * from './crash-helpers.js';
export * from './smtp-sink.js';
export * from './chromium.js';
export * from './sshd.js';
