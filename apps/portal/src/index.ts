export * from './portal.module.js';
