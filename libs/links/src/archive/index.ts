export * from './zip-layout.js';
export * from './zip-reader.js';
