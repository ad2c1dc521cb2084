export * from './storage-driver.js';
export * from './path-containment.js';
export * from './storage-path.js';
export * from './drivers/local.driver.js';
// The S3 driver (and the AWS SDK under it) is loaded with the first S3 connection: see driver-factories.
export type { S3DriverOptions } from './drivers/s3.driver.js';
export * from './storage.service.js';
export * from './storage.module.js';
export * from './connections/connection-settings.js';
export * from './connections/connections.repository.js';
export * from './connections/driver-factories.js';
export * from './connections/endpoint-guard.js';
export * from './connections/secret-keyring.js';
export * from './drivers/sftp.driver.js';
/** The traversal corpus, for containment tests above the drivers (share links over HTTP, SFTP). */
export { INSIDE as TRAVERSAL_INSIDE, REFUSED as TRAVERSAL_REFUSED } from './traversal-corpus.js';
export * from './connections/share-sources.js';
