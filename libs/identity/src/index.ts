export * from './user.js';
export * from './identity.repository.js';
export * from './token.service.js';
export * from './identity.module.js';
