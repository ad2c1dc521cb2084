export * from './errors.js';
export * from './clock.js';
export * from './secret.js';
export * from './semaphore.js';
export * from './secret-box.js';
export * from './format.js';
export * from './text.js';
