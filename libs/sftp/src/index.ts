export * from './host-keys.js';
