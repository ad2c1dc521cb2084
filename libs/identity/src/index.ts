export * from './user.js';
export * from './scopes.js';
export * from './identity.repository.js';
export * from './sessions.repository.js';
export * from './session.service.js';
export * from './sso-users.service.js';
export * from './token.service.js';
export * from './identity.module.js';
