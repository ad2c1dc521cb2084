export * from './storage-driver.js';
export * from './path-containment.js';
export * from './storage-path.js';
export * from './drivers/local.driver.js';
export * from './storage.service.js';
export * from './storage.module.js';
export * from './drivers/sftp.driver.js';
