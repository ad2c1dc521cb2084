export * from './domains.js';
export * from './policy.schema.js';
