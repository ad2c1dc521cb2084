import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { AppConfigService } from '@mft/config';
import { NotFoundError } from '@mft/core';
import { LocalDriver } from './drivers/local.driver.js';
import type { StorageDriver } from './storage-driver.js';

/** The id of the storage connection that holds send-link copies when nothing else is configured. */
export const DEFAULT_CONNECTION = 'default';

/** Looks up storage connections by id. */
@Injectable()
export class StorageService {
  readonly #drivers = new Map<string, StorageDriver>();

  constructor(config: AppConfigService) {
    this.#drivers.set(DEFAULT_CONNECTION, new LocalDriver(join(config.dataDir, 'files')));
  }

  driver(connectionId: string): StorageDriver {
    const driver = this.#drivers.get(connectionId);
    if (!driver) {
      throw new NotFoundError('storage_connection_not_found', `There is no storage connection ${JSON.stringify(connectionId)}.`);
    }
    return driver;
  }

  /** The connection that holds send-link copies. */
  get sendConnection(): string {
    return DEFAULT_CONNECTION;
  }
}
