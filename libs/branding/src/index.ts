export * from './brand.js';
export * from './brand.schema.js';
export * from './branding.repository.js';
export * from './branding.service.js';
export * from './branding.module.js';
export * from './branding-assets.controller.js';
export * from './logo.js';
export * from './brand-host.js';
