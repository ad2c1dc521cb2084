export * from './mail.module.js';
export * from './mail-queue.js';
export * from './mail-queue.repository.js';
export * from './mail-templates.js';
export * from './mail-transport.js';
export * from './mail-worker.js';
