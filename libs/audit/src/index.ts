export * from './audit-event.js';
export * from './audit-hash.js';
export * from './audit.repository.js';
export * from './audit.service.js';
export * from './audit.module.js';
export * from './refusal-audit.service.js';
