export * from './api.module.js';
