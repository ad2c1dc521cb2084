import { randomUUID } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AppConfigService } from '@mft/config';
import { ConflictError, DomainError, ForbiddenError, NotFoundError } from '@mft/core';
import { Database } from '@mft/db';
import { StoragePath } from './storage-path.js';
import { isStorageError, StorageUnavailableError, StorageUnsupportedError, type StorageDriver, type StoredObjectKind } from './storage-driver.js';
import {
  CONNECTION_KINDS,
  ConnectionInvalidError,
  parseConnectionConfig,
  parseField,
  secretValues,
  type AnySettings,
  type ConnectionConfig,
  type ConnectionKind,
} from './connections/connection-settings.js';
import { ConnectionsRepository, type ConnectionReferences, type ConnectionRow } from './connections/connections.repository.js';
import { driverFactories, type DriverContext, type DriverFactory } from './connections/driver-factories.js';
import { AddressRefusedError, checkHost, guardedLookup } from './connections/endpoint-guard.js';
import { SecretKeyring, type RotationResult } from './connections/secret-keyring.js';

/** The id of the storage connection that holds send-link copies when nothing else is configured. */
export const DEFAULT_CONNECTION = 'default';

export type StorageConnectionKind = ConnectionKind;

/** Who may create share links from a folder of a connection (admins may always). */
export interface ShareRoot {
  /** A folder of the connection, `/` for all of it. */
  readonly path: string;
  readonly roles: readonly string[];
  readonly groups: readonly string[];
  /** Whether those roles and groups may also change files under it (SFTP mounts: put, mkdir, rm, rename); read-only otherwise. */
  readonly write?: boolean;
}

/** What callers other than the admin API need to know of a storage connection. */
export interface StorageConnectionSummary {
  readonly id: string;
  readonly name: string;
  readonly kind: StorageConnectionKind;
  readonly shareRoots: readonly ShareRoot[];
}

/** A connection as administrators see it: everything but its secrets. */
export interface ConnectionView {
  readonly id: string;
  readonly name: string;
  readonly kind: ConnectionKind;
  readonly settings: AnySettings;
  /** `ok` when the last check (creation, change or test) reached the storage; `failing` otherwise. */
  readonly status: 'ok' | 'failing';
  readonly statusMessage: string | null;
  readonly checkedAt: string | null;
  /** Whether secrets are stored (they are never shown). */
  readonly hasSecrets: boolean;
  /** The built-in folder under the data directory. */
  readonly builtin: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string;
}

/** What the send-storage setting holds. */
export interface SendStorageSetting {
  readonly connectionId: string;
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

/** The result of testing a connection: `message` says what happened, for a person, without secrets. */
export interface ConnectionTestResult {
  readonly ok: boolean;
  readonly message: string;
}

/** Whoever asks to browse a connection, as far as share roots are concerned. */
export interface SharingUser {
  readonly admin: boolean;
  readonly roles: readonly string[];
  readonly groups: readonly string[];
}

/** One entry of a connection's folder, with its path from the connection's root. */
export interface ConnectionEntry {
  readonly name: string;
  readonly path: string;
  readonly kind: StoredObjectKind;
  readonly size: number;
  /** Null for a folder whose storage keeps no time for it (S3). */
  readonly modifiedAt: string | null;
}

/** Runs inside the transaction of a change, after it (the caller records its audit event here). */
export type ChangeHook<T> = (result: T) => Promise<void>;

/** A connection's settings point at something it may not use, or that does not answer (422, naming the field). */
export class ConnectionRefusedError extends DomainError {
  constructor(code: string, message: string, field: string) {
    super('policy', code, message, { field });
  }
}

const SEND_STORAGE_KEY = 'send_storage';
const PING_TIMEOUT_MS = 15_000;
const MESSAGE_MAX = 500;

const createBody = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  kind: z.enum(CONNECTION_KINDS, { message: `must be one of ${CONNECTION_KINDS.join(', ')}` }),
  settings: z.record(z.string(), z.unknown(), { message: 'are required (an object)' }),
  secrets: z.record(z.string(), z.unknown(), { message: 'must be an object' }).optional(),
}).strict();

const patchBody = z.object({
  name: createBody.shape.name.optional(),
  kind: z.never({ message: 'cannot be changed: create a new connection' }).optional(),
  settings: createBody.shape.settings.optional(),
  secrets: createBody.shape.secrets,
}).strict();

const sendStorageBody = z.object({ connectionId: z.string().min(1, 'must not be empty').max(64) }).strict();

/** Whether `who` may share `path` of a connection with these share roots (whole segments compared). */
export function maySharePath(shareRoots: readonly ShareRoot[], path: StoragePath, who: SharingUser): boolean {
  if (who.admin) {
    return true;
  }
  return shareRoots.some((r) => path.isWithin(StoragePath.parse(r.path)) && (r.roles.some((role) => who.roles.includes(role)) || r.groups.some((g) => who.groups.includes(g))));
}

/**
 * Whether `who` may change `path` of a connection (SFTP mounts): only under a share root that grants
 * write to one of their roles or groups. Admins too need such a root: sharing all never means writing all.
 */
export function mayWritePath(shareRoots: readonly ShareRoot[], path: StoragePath, who: SharingUser): boolean {
  return shareRoots.some((r) => r.write === true && path.isWithin(StoragePath.parse(r.path)) && (r.roles.some((role) => who.roles.includes(role)) || r.groups.some((g) => who.groups.includes(g))));
}

async function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StorageUnavailableError(`${what} timed out after ${PING_TIMEOUT_MS / 1000} s`, { reason: 'timed out' })), PING_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function findCause<T>(err: unknown, is: (e: unknown) => e is T): T | null {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (is(e)) {
      return e;
    }
    const inner = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(inner)) {
      const found = inner.map((x) => findCause(x, is)).find((x) => x !== null);
      if (found) {
        return found;
      }
    }
  }
  return null;
}

/** A human reason for a failed check, with every secret value of the connection blanked out. */
function describeFailure(err: unknown, secrets: readonly string[]): string {
  const refused = findCause(err, (e): e is AddressRefusedError => e instanceof AddressRefusedError);
  let message: string;
  if (refused) {
    message = refused.message;
  } else if (isStorageError(err)) {
    message = err.operatorDetail && !err.message.includes(err.operatorDetail) ? `${err.message} ${err.operatorDetail}` : err.message;
  } else if (err instanceof Error) {
    message = err.message;
  } else {
    message = String(err);
  }
  for (const s of secrets) {
    message = message.split(s).join('[redacted]');
  }
  return message.length > MESSAGE_MAX ? `${message.slice(0, MESSAGE_MAX - 1)}…` : message;
}

const endpointField = (config: ConnectionConfig): string => (config.kind === 's3' ? (config.settings.endpoint ? 'settings.endpoint' : 'settings.bucket') : config.kind === 'sftp' ? 'settings.host' : 'settings.root');

function endpointHost(config: ConnectionConfig): string | null {
  if (config.kind === 's3') {
    return config.settings.endpoint ? new URL(config.settings.endpoint).hostname : null;
  }
  return config.kind === 'sftp' ? config.settings.host : null;
}

/**
 * The registry of storage connections: builds each connection's driver from its row (one factory
 * per kind), keeps it while the row's revision is unchanged (checked on every lookup, so a change
 * made through another replica is seen at once), and knows which connection holds send-link copies.
 * Also carries out the administrators' changes, each in one transaction with the caller's audit hook.
 */
@Injectable()
export class StorageService {
  readonly #drivers = new Map<string, { revision: number; driver: StorageDriver }>();
  readonly #keyring: SecretKeyring;
  readonly #defaultRoot: string;

  constructor(
    private readonly config: AppConfigService,
    private readonly repo: ConnectionsRepository,
    private readonly db: Database,
  ) {
    this.#keyring = new SecretKeyring(config.secretKey, db, repo);
    this.#defaultRoot = join(config.dataDir, 'files');
  }

  /** The driver of a connection; `NotFoundError` when there is no such connection. */
  async driver(connectionId: string): Promise<StorageDriver> {
    const revision = await this.repo.revision(connectionId);
    if (revision === null) {
      this.#drivers.delete(connectionId);
      throw this.notFound(connectionId);
    }
    const cached = this.#drivers.get(connectionId);
    if (cached?.revision === revision) {
      return cached.driver;
    }
    const row = await this.repo.find(connectionId);
    if (!row) {
      throw this.notFound(connectionId);
    }
    const driver = await this.build(await this.configOf(row));
    this.#drivers.set(connectionId, { revision: row.revision, driver });
    return driver;
  }

  /** A connection's name, kind and share roots; `NotFoundError` when there is no such connection. */
  async connection(connectionId: string): Promise<StorageConnectionSummary> {
    const row = await this.row(connectionId);
    const roots = (row.settings.shareRoots ?? []) as ShareRoot[];
    return { id: row.id, name: row.name, kind: row.kind, shareRoots: roots };
  }

  /** The id of the connection that holds send-link copies. */
  async sendConnectionId(): Promise<string> {
    return (await this.sendStorage()).connectionId;
  }

  async sendStorage(): Promise<SendStorageSetting> {
    const s = await this.repo.setting<{ connectionId: string }>(SEND_STORAGE_KEY);
    return s ? { connectionId: s.value.connectionId, updatedAt: s.updatedAt.toISOString(), updatedBy: s.updatedBy } : { connectionId: DEFAULT_CONNECTION, updatedAt: null, updatedBy: null };
  }

  async list(): Promise<ConnectionView[]> {
    return (await this.repo.list()).map(toView);
  }

  async get(connectionId: string): Promise<ConnectionView> {
    return toView(await this.row(connectionId));
  }

  /**
   * Creates a connection from a request body `{ name, kind, settings, secrets? }`: validated (400
   * naming each bad field), endpoints resolved and checked (422 naming the field), reached once
   * (422 when it does not answer), then stored with its secrets sealed.
   */
  async create(body: unknown, createdBy: string, hook: ChangeHook<ConnectionView>): Promise<ConnectionView> {
    const input = parseField(createBody, body, '');
    const config = parseConnectionConfig(input.kind, input.settings, input.secrets);
    if (await this.repo.nameTaken(input.name, null)) {
      throw nameTaken(input.name);
    }
    await this.check(config, false);
    const id = randomUUID();
    return this.db.transaction(async () => {
      const sealed = config.kind === 'local' ? null : await this.#keyring.seal(id, config.secrets as Record<string, string>);
      const row = await this.repo.insert({ id, name: input.name, kind: config.kind, settings: config.settings as Record<string, unknown>, sealed: sealed?.sealed ?? null, keyId: sealed?.keyId ?? null, createdBy });
      if (!row) {
        throw nameTaken(input.name);
      }
      const view = toView(row);
      await hook(view);
      return view;
    });
  }

  /**
   * Changes a connection's name, settings (replaced as a whole) or secrets (replaced when given,
   * kept otherwise); checked as at creation. The hook gets the new view and the changed fields.
   */
  async update(connectionId: string, body: unknown, hook: ChangeHook<{ view: ConnectionView; changed: string[] }>): Promise<ConnectionView> {
    const input = parseField(patchBody, body, '');
    const row = await this.row(connectionId);
    const builtin = row.id === DEFAULT_CONNECTION;
    const secrets = input.secrets !== undefined ? input.secrets : row.sealed && row.keyId ? await this.#keyring.open(row.id, row.sealed, row.keyId) : undefined;
    const config = parseConnectionConfig(row.kind, input.settings ?? row.settings, secrets, { builtin });
    const name = input.name ?? row.name;
    if (input.name !== undefined && (await this.repo.nameTaken(name, row.id))) {
      throw nameTaken(name);
    }
    await this.check(config, builtin);
    const changed = [
      ...(name !== row.name ? ['name'] : []),
      ...(input.settings !== undefined && JSON.stringify(config.settings) !== JSON.stringify(row.settings) ? ['settings'] : []),
      ...(input.secrets !== undefined ? ['secrets'] : []),
    ];
    return this.db.transaction(async () => {
      const sealed = input.secrets === undefined ? null : config.kind === 'local' ? { sealed: null, keyId: null } : await this.#keyring.seal(row.id, config.secrets as Record<string, string>);
      const updated = await this.repo.update(row.id, { name, settings: config.settings as Record<string, unknown>, secrets: sealed }).catch((err: unknown) => {
        throw isUniqueViolation(err) ? nameTaken(name) : err;
      });
      if (!updated) {
        throw this.notFound(connectionId);
      }
      const view = toView(updated);
      await hook({ view, changed });
      return view;
    });
  }

  /** Deletes a connection; 409 while it holds send copies or anything still needs it. */
  async remove(connectionId: string, hook: ChangeHook<ConnectionView>): Promise<void> {
    await this.db.transaction(async () => {
      if (!(await this.repo.lock(connectionId))) {
        throw this.notFound(connectionId);
      }
      const row = await this.row(connectionId);
      if ((await this.sendConnectionId()) === connectionId) {
        throw new ConflictError('connection_is_send_storage', 'This connection holds send-link copies: choose another send storage (PUT /api/v1/settings/send-storage) before deleting it.');
      }
      const refs = await this.repo.references(connectionId);
      if (refs.liveLinks + refs.unpurgedCopies + refs.pendingUploads > 0) {
        throw new ConflictError('connection_in_use', inUseMessage(refs));
      }
      await this.repo.delete(connectionId);
      this.#drivers.delete(connectionId);
      await hook(toView(row));
    });
  }

  /**
   * Checks the connection as it is stored: endpoint addresses again (a name may point elsewhere
   * now), then reaches it. Records the outcome as the connection's status; never throws for a
   * storage that fails, the reason is in the message.
   */
  async test(connectionId: string, hook: ChangeHook<ConnectionTestResult>): Promise<ConnectionTestResult> {
    const row = await this.row(connectionId);
    let config: ConnectionConfig | null = null;
    let result: ConnectionTestResult;
    try {
      config = await this.configOf(row);
      await this.check(config, row.id === DEFAULT_CONNECTION);
      result = { ok: true, message: `Connected: ${row.name} is reachable and writable.` };
    } catch (err) {
      if (!isStorageError(err) && !(err instanceof ConnectionRefusedError) && !(err instanceof AddressRefusedError) && !(err instanceof DomainError)) {
        throw err;
      }
      result = { ok: false, message: describeFailure(err, config ? secretValues(config) : []) };
    }
    await this.db.transaction(async () => {
      await this.repo.setStatus(row.id, result.ok ? 'ok' : 'failing', result.ok ? null : result.message);
      await hook(result);
    });
    return result;
  }

  /**
   * One page of the folder `rawPath` of a connection, for someone who may share from it (403
   * `share_path_forbidden` otherwise); a malformed path is a 400, a missing folder a 404.
   */
  async entries(connectionId: string, rawPath: string, cursor: string | null, who: SharingUser, limit?: number): Promise<{ entries: ConnectionEntry[]; next: string | null }> {
    const summary = await this.connection(connectionId);
    const folder = StoragePath.parse(rawPath);
    if (!maySharePath(summary.shareRoots, folder, who)) {
      throw new ForbiddenError('share_path_forbidden', 'You may not share from this folder of this connection: ask an administrator to add it to the connection’s share roots.');
    }
    const driver = await this.driver(connectionId);
    const page = await driver.list(folder, { cursor, ...(limit !== undefined ? { limit } : {}) });
    return {
      entries: page.entries.map((e) => ({ name: e.name, path: folder.join(StoragePath.of(e.name)).toString(), kind: e.kind, size: e.size, modifiedAt: e.modifiedAt?.toISOString() ?? null })),
      next: page.next,
    };
  }

  /** Chooses the connection that holds new send-link copies; it must answer first (422 otherwise). */
  async setSendStorage(body: unknown, by: string, hook: ChangeHook<{ setting: SendStorageSetting; previous: string }>): Promise<SendStorageSetting> {
    const { connectionId } = parseField(sendStorageBody, body, '');
    const row = await this.repo.find(connectionId);
    if (!row) {
      throw new ConnectionRefusedError('send_storage_unknown', `connectionId: there is no storage connection ${JSON.stringify(connectionId)}.`, 'connectionId');
    }
    try {
      const driver = await this.driver(connectionId);
      await withTimeout(driver.ping(), 'reaching the storage');
    } catch (err) {
      if (!(err instanceof DomainError)) {
        throw err;
      }
      const config = await this.configOf(row).catch(() => null);
      throw new ConnectionRefusedError('send_storage_unusable', `connectionId: ${row.name} cannot hold send copies now: ${describeFailure(err, config ? secretValues(config) : [])}`, 'connectionId');
    }
    return this.db.transaction(async () => {
      if (!(await this.repo.lock(connectionId))) {
        throw new ConnectionRefusedError('send_storage_unknown', `connectionId: there is no storage connection ${JSON.stringify(connectionId)}.`, 'connectionId');
      }
      const previous = await this.sendConnectionId();
      const { updatedAt } = await this.repo.putSetting(SEND_STORAGE_KEY, { connectionId }, by);
      const setting = { connectionId, updatedAt: updatedAt.toISOString(), updatedBy: by };
      await hook({ setting, previous });
      return setting;
    });
  }

  /** Re-seals every stored secret under a new data key and deletes the old keys (`secrets rotate`). */
  async rotateSecrets(): Promise<RotationResult> {
    return this.#keyring.rotate();
  }

  private notFound(connectionId: string): NotFoundError {
    return new NotFoundError('storage_connection_not_found', `There is no storage connection ${JSON.stringify(connectionId)}.`);
  }

  private async row(connectionId: string): Promise<ConnectionRow> {
    const row = await this.repo.find(connectionId);
    if (!row) {
      throw this.notFound(connectionId);
    }
    return row;
  }

  private async configOf(row: ConnectionRow): Promise<ConnectionConfig> {
    const secrets = row.sealed && row.keyId ? await this.#keyring.open(row.id, row.sealed, row.keyId) : undefined;
    return parseConnectionConfig(row.kind, row.settings, secrets, { builtin: row.id === DEFAULT_CONNECTION });
  }

  private async build(config: ConnectionConfig): Promise<StorageDriver> {
    const host = endpointHost(config);
    if (host !== null) {
      await checkHost(host, config.settings.allowLoopback).catch((err: unknown) => {
        throw new StorageUnavailableError(err instanceof Error ? err.message : String(err), { retryable: false, reason: 'address refused' });
      });
    }
    const context: DriverContext = { lookup: guardedLookup({ allowLoopback: config.settings.allowLoopback }), defaultRoot: this.#defaultRoot };
    return (driverFactories[config.kind] as DriverFactory).create(config, context);
  }

  /** The checks of creation and change: endpoint addresses, a local root, and one ping. */
  private async check(config: ConnectionConfig, builtin: boolean): Promise<void> {
    const host = endpointHost(config);
    const field = endpointField(config);
    if (host !== null) {
      try {
        await checkHost(host, config.settings.allowLoopback);
      } catch (err) {
        if (err instanceof AddressRefusedError) {
          throw new ConnectionRefusedError('connection_address_refused', `${field}: ${err.message}.`, field);
        }
        throw err;
      }
    }
    if (config.kind === 'local' && config.settings.root !== undefined) {
      await this.checkLocalRoot(config.settings.root);
    } else if (config.kind === 'local' && !builtin) {
      throw new ConnectionInvalidError([{ path: 'settings.root', message: 'is required' }]);
    }
    let driver: StorageDriver;
    try {
      driver = await this.build(config);
      await withTimeout(driver.ping(), 'reaching the storage');
    } catch (err) {
      if (err instanceof StorageUnsupportedError || !isStorageError(err)) {
        throw err;
      }
      const secretsFailed = err.failure === 'permission' && config.kind !== 'local';
      const f = secretsFailed ? 'secrets' : field;
      throw new ConnectionRefusedError('connection_unreachable', `${f}: the storage did not answer as expected: ${describeFailure(err, secretValues(config))}`, f);
    }
  }

  /** A local root must be an existing folder outside the data directory (which holds the database and keys). */
  private async checkLocalRoot(root: string): Promise<void> {
    let real: string;
    try {
      real = await realpath(root);
      if (!(await stat(real)).isDirectory()) {
        throw new Error('not a folder');
      }
    } catch {
      throw new ConnectionRefusedError('connection_root_missing', 'settings.root: this folder does not exist on the gateway (or is not a folder).', 'settings.root');
    }
    const data = await realpath(this.config.dataDir).catch(() => this.config.dataDir);
    const within = (a: string, b: string): boolean => {
      const r = relative(b, a);
      return r === '' || (!r.startsWith('..') && !isAbsolute(r));
    };
    if (within(real, data) || within(data, real)) {
      throw new ConnectionRefusedError('connection_root_forbidden', 'settings.root: this folder is, holds or lies inside the gateway’s data directory, which no connection may expose.', 'settings.root');
    }
  }
}

function toView(row: ConnectionRow): ConnectionView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    settings: row.settings as AnySettings,
    status: row.status,
    statusMessage: row.statusMessage,
    checkedAt: row.checkedAt?.toISOString() ?? null,
    hasSecrets: row.sealed !== null,
    builtin: row.id === DEFAULT_CONNECTION,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    createdBy: row.createdBy,
  };
}

function nameTaken(name: string): DomainError {
  return new DomainError('conflict', 'connection_name_taken', `name: a storage connection named ${JSON.stringify(name)} already exists.`, { field: 'name' });
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === '23505' || /unique|duplicate key/i.test(err instanceof Error ? err.message : '');
}

function inUseMessage(refs: ConnectionReferences): string {
  const parts = [
    refs.liveLinks ? `${refs.liveLinks} link(s) that have not ended` : null,
    refs.unpurgedCopies ? `${refs.unpurgedCopies} ended link(s) whose copies are not yet removed` : null,
    refs.pendingUploads ? `${refs.pendingUploads} upload(s) in progress` : null,
  ].filter(Boolean);
  return `This connection is still used by ${parts.join(', ')}; it can be deleted once nothing needs it.`;
}
