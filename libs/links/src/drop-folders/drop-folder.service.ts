import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService, type AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { DomainError, NotFoundError, Secret, SecretBox, UnavailableError } from '@mft/core';
import { Database } from '@mft/db';
import { hasRole, type User } from '@mft/identity';
import { dropFolderPath, isDropFolderName, parseDropFolderBody, type DropFolder, type DropFolderView, type UsableDropFolderView } from './drop-folder.js';
import { DropFoldersRepository, type DropFolderFields, type DropFolderRow } from './drop-folders.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const toView = (row: DropFolderRow): DropFolderView => ({
  id: row.id,
  name: row.name,
  recipients: row.recipients,
  options: row.options,
  passwordProtected: row.passwordSealed !== null,
  message: row.message,
  roles: row.roles,
  groups: row.groups,
  createdAt: row.createdAt.toISOString(),
  createdBy: row.createdBy,
  updatedAt: row.updatedAt.toISOString(),
  updatedBy: row.updatedBy,
  version: row.version,
});

/** What an audit event says of a drop folder: everything but its password. */
const described = (v: DropFolderView): Record<string, unknown> => ({
  dropFolderId: v.id,
  name: v.name,
  recipients: v.recipients,
  options: v.options,
  passwordProtected: v.passwordProtected,
  roles: v.roles,
  groups: v.groups,
});

function nameTaken(name: string): DomainError {
  return new DomainError('conflict', 'drop_folder_name_taken', `name: a drop folder named ${JSON.stringify(name)} already exists (names are compared whatever their case).`, { field: 'name' });
}

function notFound(): NotFoundError {
  return new NotFoundError('drop_folder_not_found', 'There is no such drop folder.');
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === '23505' || /unique|duplicate key/i.test(err instanceof Error ? err.message : '');
}

/**
 * Drop folders: the administrators' use cases (each change audited in its transaction as
 * `drop_folder.created`, `drop_folder.updated`, `drop_folder.deleted`) and the look-ups of the
 * SFTP ingress. Who may use a folder: anyone holding one of its roles or in one of its IdP groups;
 * admins may use every folder; a folder naming neither roles nor groups is for admins only.
 * Changes are PATCH-like: fields left out keep their value, `options` is replaced as a whole.
 */
@Injectable()
export class DropFolderService {
  readonly #box: SecretBox;

  constructor(
    private readonly repo: DropFoldersRepository,
    private readonly db: Database,
    private readonly audit: AuditService,
    config: AppConfigService,
  ) {
    this.#box = new SecretBox(config.secretKey, 'drop-folder-password');
  }

  /** Every drop folder, by name. */
  async list(): Promise<DropFolderView[]> {
    return (await this.repo.list()).map(toView);
  }

  async get(id: string): Promise<DropFolderView> {
    return toView(await this.row(id));
  }

  /**
   * Creates a drop folder from `{ name, recipients, options?, message?, roles?, groups? }`: 400
   * `drop_folder_invalid` naming each bad field (options checked by the parser of send links),
   * 409 `drop_folder_name_taken`.
   */
  async create(body: unknown, by: User, ctx: AccessContext): Promise<DropFolderView> {
    const input = parseDropFolderBody(body, false);
    const fields: DropFolderFields = {
      name: input.name!,
      recipients: input.recipients!,
      options: input.options ?? {},
      passwordSealed: input.password ? this.#box.seal(input.password) : null,
      message: input.message ?? null,
      roles: input.roles ?? [],
      groups: input.groups ?? [],
    };
    if (await this.repo.nameTaken(fields.name, null)) {
      throw nameTaken(fields.name);
    }
    return this.db.transaction(async () => {
      const row = await this.repo.insert(randomUUID(), fields, by.username);
      if (!row) {
        throw nameTaken(fields.name);
      }
      const view = toView(row);
      await this.audit.record(ctx, { type: 'drop_folder.created', details: described(view) });
      return view;
    });
  }

  /**
   * Changes a drop folder: the fields given replace the stored ones (`options` as a whole; a
   * password given in them replaces the one stored, `"password": null` removes it, and options
   * without `password` keep it; `"message": null` removes the message). Validated as at creation.
   */
  async update(id: string, body: unknown, by: User, ctx: AccessContext): Promise<DropFolderView> {
    const input = parseDropFolderBody(body, true);
    const row = await this.row(id);
    const fields: DropFolderFields = {
      name: input.name ?? row.name,
      recipients: input.recipients ?? row.recipients,
      options: input.options ?? row.options,
      passwordSealed: input.password === undefined ? row.passwordSealed : input.password === null ? null : this.#box.seal(input.password),
      message: input.message === undefined ? row.message : input.message,
      roles: input.roles ?? row.roles,
      groups: input.groups ?? row.groups,
    };
    if (input.name !== undefined && (await this.repo.nameTaken(fields.name, row.id))) {
      throw nameTaken(fields.name);
    }
    const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
    const changed = [
      ...(fields.name !== row.name ? ['name'] : []),
      ...(!same(fields.recipients, row.recipients) ? ['recipients'] : []),
      ...(!same(fields.options, row.options) ? ['options'] : []),
      ...(input.password !== undefined ? ['password'] : []),
      ...(fields.message !== row.message ? ['message'] : []),
      ...(!same(fields.roles, row.roles) ? ['roles'] : []),
      ...(!same(fields.groups, row.groups) ? ['groups'] : []),
    ];
    return this.db.transaction(async () => {
      const updated = await this.repo.update(row.id, fields, by.username).catch((err: unknown) => {
        throw isUniqueViolation(err) ? nameTaken(fields.name) : err;
      });
      if (!updated) {
        throw notFound();
      }
      const view = toView(updated);
      await this.audit.record(ctx, { type: 'drop_folder.updated', details: { ...described(view), changed } });
      return view;
    });
  }

  /** Deletes a drop folder. Links already created from it live on; new drops into it are no longer possible. */
  async remove(id: string, by: User, ctx: AccessContext): Promise<void> {
    if (!UUID.test(id)) {
      throw notFound();
    }
    await this.db.transaction(async () => {
      const row = await this.repo.delete(id);
      if (!row) {
        throw notFound();
      }
      await this.audit.record(ctx, { type: 'drop_folder.deleted', details: { ...described(toView(row)), deletedBy: by.username } });
    });
  }

  /**
   * The drop folders `user` may use, by name: those naming one of their roles or one of their
   * IdP `groups`; every folder for an admin. A folder with neither roles nor groups is for admins only.
   */
  async forUser(user: User, groups: readonly string[]): Promise<DropFolder[]> {
    const rows = hasRole(user, 'admin') ? await this.repo.list() : await this.repo.usableBy(user.roles, groups);
    return rows.map((r) => this.toFolder(r));
  }

  /** The drop folder of that name (whatever its case) when `user` may use it, by the rule of `forUser`; else null. */
  async byName(user: User, groups: readonly string[], name: string): Promise<DropFolder | null> {
    if (!isDropFolderName(name)) {
      return null;
    }
    const row = hasRole(user, 'admin') ? await this.repo.findByName(name) : ((await this.repo.usableBy(user.roles, groups, name))[0] ?? null);
    return row ? this.toFolder(row) : null;
  }

  /** What `user` sees of the drop folders they may use, their IdP groups looked up (`GET /api/v1/me/drop-folders`). */
  async usableBy(user: User): Promise<UsableDropFolderView[]> {
    const groups = hasRole(user, 'admin') ? [] : await this.repo.groupsOf(user.id);
    const rows = hasRole(user, 'admin') ? await this.repo.list() : await this.repo.usableBy(user.roles, groups);
    return rows.map((r) => ({ name: r.name, path: dropFolderPath(r.name), recipients: r.recipients, message: r.message, options: r.options, passwordProtected: r.passwordSealed !== null }));
  }

  private async row(id: string): Promise<DropFolderRow> {
    const row = UUID.test(id) ? await this.repo.find(id) : null;
    if (!row) {
      throw notFound();
    }
    return row;
  }

  private toFolder(row: DropFolderRow): DropFolder {
    let password: Secret | null = null;
    if (row.passwordSealed !== null) {
      try {
        password = new Secret(this.#box.open(row.passwordSealed));
      } catch {
        throw new UnavailableError('drop_folder_password_unreadable', `The link password of drop folder ${JSON.stringify(row.name)} cannot be read (SECRET_KEY changed?); an administrator must set it again.`);
      }
    }
    return { id: row.id, name: row.name, recipients: row.recipients, options: row.options, message: row.message, roles: row.roles, groups: row.groups, password };
  }
}
