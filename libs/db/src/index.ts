export * from './database.js';
export * from './db.module.js';
