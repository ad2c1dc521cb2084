import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { AppConfigService } from '@mft/config';
import { NotFoundError } from '@mft/core';
import { LocalDriver } from './drivers/local.driver.js';
import type { StorageDriver } from './storage-driver.js';

/** The id of the storage connection that holds send-link copies when nothing else is configured. */
export const DEFAULT_CONNECTION = 'default';

export type StorageConnectionKind = 'local' | 's3' | 'sftp';

/** Who may create share links from a folder of a connection (admins may always). */
export interface ShareRoot {
  /** A folder of the connection, `/` for all of it. */
  readonly path: string;
  readonly roles: readonly string[];
  readonly groups: readonly string[];
}

/** What callers other than the admin API need to know of a storage connection. */
export interface StorageConnectionSummary {
  readonly id: string;
  readonly name: string;
  readonly kind: StorageConnectionKind;
  readonly shareRoots: readonly ShareRoot[];
}

/** Looks up storage connections by id, and knows which one holds send-link copies. */
@Injectable()
export class StorageService {
  readonly #drivers = new Map<string, StorageDriver>();

  constructor(config: AppConfigService) {
    this.#drivers.set(DEFAULT_CONNECTION, new LocalDriver(join(config.dataDir, 'files')));
  }

  /** The driver of a connection; `NotFoundError` when there is no such connection. */
  async driver(connectionId: string): Promise<StorageDriver> {
    const driver = this.#drivers.get(connectionId);
    if (!driver) {
      throw new NotFoundError('storage_connection_not_found', `There is no storage connection ${JSON.stringify(connectionId)}.`);
    }
    return Promise.resolve(driver);
  }

  /** A connection's name, kind and share roots; `NotFoundError` when there is no such connection. */
  async connection(connectionId: string): Promise<StorageConnectionSummary> {
    await this.driver(connectionId);
    return { id: connectionId, name: 'Local files', kind: 'local', shareRoots: [] };
  }

  /** The id of the connection that holds send-link copies. */
  async sendConnectionId(): Promise<string> {
    return Promise.resolve(DEFAULT_CONNECTION);
  }
}
