import type { LookupFunction } from 'node:net';
import { LocalDriver } from '../drivers/local.driver.js';
import type { S3DriverOptions } from '../drivers/s3.driver.js';
import { SftpDriver, type SftpDriverOptions } from '../drivers/sftp.driver.js';
import type { StorageDriver } from '../storage-driver.js';
import type { ConnectionConfig, ConnectionKind, LocalSettings, S3Secrets, S3Settings, SftpSecrets, SftpSettings } from './connection-settings.js';

/** What a factory gets besides the connection's own settings and secrets. */
export interface DriverContext {
  /** Resolves names and refuses the addresses a connection may not reach (see `guardedLookup`). */
  readonly lookup: LookupFunction;
  /** The folder of the built-in connection `default` (a local connection without `root`). */
  readonly defaultRoot: string;
}

/** Builds the driver of one kind of connection from its validated settings and opened secrets. */
export interface DriverFactory<K extends ConnectionKind = ConnectionKind> {
  create(config: Extract<ConnectionConfig, { kind: K }>, context: DriverContext): StorageDriver | Promise<StorageDriver>;
}

export const s3DriverOptions = (settings: S3Settings, secrets: S3Secrets, lookup: LookupFunction): S3DriverOptions => {
  const { shareRoots: _roots, allowLoopback: _loopback, ...rest } = settings;
  return { ...rest, ...secrets, lookup };
};

export const sftpDriverOptions = (settings: SftpSettings, secrets: SftpSecrets, lookup: LookupFunction): SftpDriverOptions => {
  const { shareRoots: _roots, allowLoopback: _loopback, ...rest } = settings;
  return { ...rest, ...secrets, lookup };
};

const local: DriverFactory<'local'> = {
  create: ({ settings }: { settings: LocalSettings }, context) => new LocalDriver(settings.root ?? context.defaultRoot),
};

/**
 * The AWS SDK is loaded with the first S3 connection, not at start: a gateway without one does not
 * pay its 22 MiB of memory and 0.1 s.
 */
const s3: DriverFactory<'s3'> = {
  create: async ({ settings, secrets }, context) => {
    const { S3Driver } = await import('../drivers/s3.driver.js');
    return new S3Driver(s3DriverOptions(settings, secrets, context.lookup));
  },
};

const sftp: DriverFactory<'sftp'> = {
  create: ({ settings, secrets }, context) => new SftpDriver(sftpDriverOptions(settings, secrets, context.lookup)),
};

/** One factory per kind of connection. */
export const driverFactories: { [K in ConnectionKind]: DriverFactory<K> } = {
  local,
  s3,
  sftp,
};
