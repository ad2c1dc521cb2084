import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import type { Role } from '@mft/identity';

/** A `drop_folders` row as stored; `passwordSealed` is the link password sealed under SECRET_KEY. */
export interface DropFolderRow {
  readonly id: string;
  readonly name: string;
  readonly recipients: string[];
  readonly options: Record<string, unknown>;
  readonly passwordSealed: string | null;
  readonly message: string | null;
  readonly roles: Role[];
  readonly groups: string[];
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly updatedAt: Date;
  readonly updatedBy: string;
  readonly version: number;
}

/** What is written of a drop folder at creation and at each change. */
export interface DropFolderFields {
  readonly name: string;
  readonly recipients: readonly string[];
  readonly options: Record<string, unknown>;
  readonly passwordSealed: string | null;
  readonly message: string | null;
  readonly roles: readonly string[];
  readonly groups: readonly string[];
}

interface Row {
  id: string;
  name: string;
  recipients: string[];
  options: Record<string, unknown>;
  password_sealed: string | null;
  message: string | null;
  roles: Role[];
  groups: string[];
  created_at: Date | string;
  created_by: string;
  updated_at: Date | string;
  updated_by: string;
  version: number | string;
}

const COLUMNS = `id, name, recipients, options, password_sealed, message, roles, groups, created_at, created_by, updated_at, updated_by, version`;

const toRow = (r: Row): DropFolderRow => ({
  id: r.id,
  name: r.name,
  recipients: r.recipients,
  options: r.options,
  passwordSealed: r.password_sealed,
  message: r.message,
  roles: r.roles,
  groups: r.groups,
  createdAt: new Date(r.created_at),
  createdBy: r.created_by,
  updatedAt: new Date(r.updated_at),
  updatedBy: r.updated_by,
  version: Number(r.version),
});

/** Every SQL statement about drop folders. */
@Injectable()
export class DropFoldersRepository {
  constructor(private readonly db: Database) {}

  async find(id: string): Promise<DropFolderRow | null> {
    const [row] = await this.db.query<Row>(`SELECT ${COLUMNS} FROM drop_folders WHERE id = $1`, [id]);
    return row ? toRow(row) : null;
  }

  /** Every drop folder, by name. */
  async list(): Promise<DropFolderRow[]> {
    const rows = await this.db.query<Row>(`SELECT ${COLUMNS} FROM drop_folders ORDER BY lower(name), id`);
    return rows.map(toRow);
  }

  /**
   * The drop folders naming one of `roles` or one of `groups`, by name; with `name`, only the one
   * of that name whatever its case.
   */
  async usableBy(roles: readonly string[], groups: readonly string[], name: string | null = null): Promise<DropFolderRow[]> {
    const rows = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM drop_folders
        WHERE (roles && $1::text[] OR groups && $2::text[]) AND ($3::text IS NULL OR lower(name) = lower($3))
        ORDER BY lower(name), id`,
      [roles, groups, name],
    );
    return rows.map(toRow);
  }

  async findByName(name: string): Promise<DropFolderRow | null> {
    const [row] = await this.db.query<Row>(`SELECT ${COLUMNS} FROM drop_folders WHERE lower(name) = lower($1)`, [name]);
    return row ? toRow(row) : null;
  }

  async nameTaken(name: string, exceptId: string | null): Promise<boolean> {
    const [row] = await this.db.query(`SELECT 1 FROM drop_folders WHERE lower(name) = lower($1) AND ($2::uuid IS NULL OR id <> $2)`, [name, exceptId]);
    return row !== undefined;
  }

  /** Inserts a drop folder; null when its name is taken (the unique index decides, under concurrency too). */
  async insert(id: string, f: DropFolderFields, by: string): Promise<DropFolderRow | null> {
    const [row] = await this.db.query<Row>(
      `INSERT INTO drop_folders (id, name, recipients, options, password_sealed, message, roles, groups, created_by, updated_by)
       VALUES ($1, $2, $3::text[], $4::jsonb, $5, $6, $7::text[], $8::text[], $9, $9)
       ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
      [id, f.name, f.recipients, JSON.stringify(f.options), f.passwordSealed, f.message, f.roles, f.groups, by],
    );
    return row ? toRow(row) : null;
  }

  /** Replaces every field of a drop folder and bumps its version; null when there is none (any more). */
  async update(id: string, f: DropFolderFields, by: string): Promise<DropFolderRow | null> {
    const [row] = await this.db.query<Row>(
      `UPDATE drop_folders
          SET name = $2, recipients = $3::text[], options = $4::jsonb, password_sealed = $5, message = $6, roles = $7::text[], groups = $8::text[],
              updated_at = clock_timestamp(), updated_by = $9, version = version + 1
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, f.name, f.recipients, JSON.stringify(f.options), f.passwordSealed, f.message, f.roles, f.groups, by],
    );
    return row ? toRow(row) : null;
  }

  /** Deletes a drop folder and answers it as it was; null when there was none. */
  async delete(id: string): Promise<DropFolderRow | null> {
    const [row] = await this.db.query<Row>(`DELETE FROM drop_folders WHERE id = $1 RETURNING ${COLUMNS}`, [id]);
    return row ? toRow(row) : null;
  }

  /** The IdP groups of a user, as their last sign-in stored them. */
  async groupsOf(userId: string): Promise<string[]> {
    const [row] = await this.db.query<{ groups: string[] | null }>(`SELECT groups FROM users WHERE id = $1`, [userId]);
    return row?.groups ?? [];
  }
}
