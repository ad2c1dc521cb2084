import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import type { PolicyChange } from './policy-diff.js';
import type { PolicyDocument } from './policy.schema.js';

/** One saved version of the organisation's policy. */
export interface PolicyVersion {
  readonly version: number;
  readonly document: PolicyDocument;
  readonly source: 'api' | 'file';
  readonly createdAt: string;
  readonly createdBy: string;
  readonly diff: readonly PolicyChange[];
  readonly retroactive: boolean;
}

interface Row {
  version: number;
  document: PolicyDocument;
  source: 'api' | 'file';
  created_at: Date;
  created_by: string;
  diff: PolicyChange[];
  retroactive: boolean;
}

const toVersion = (r: Row): PolicyVersion => ({
  version: Number(r.version),
  // Groups by name in a null-prototype object, as the schema makes them: no name reaches Object.prototype.
  document: { ...r.document, groups: Object.assign(Object.create(null) as PolicyDocument['groups'], r.document.groups) },
  source: r.source,
  createdAt: new Date(r.created_at).toISOString(),
  createdBy: r.created_by,
  diff: r.diff,
  retroactive: r.retroactive,
});

/** Every SQL statement about policy versions. */
@Injectable()
export class PolicyRepository {
  constructor(private readonly db: Database) {}

  async latest(): Promise<PolicyVersion | null> {
    const [row] = await this.db.query<Row>(`SELECT * FROM policy_versions ORDER BY version DESC LIMIT 1`);
    return row ? toVersion(row) : null;
  }

  async find(version: number): Promise<PolicyVersion | null> {
    const [row] = await this.db.query<Row>(`SELECT * FROM policy_versions WHERE version = $1`, [version]);
    return row ? toVersion(row) : null;
  }

  async list(limit: number, before: number | null): Promise<PolicyVersion[]> {
    const rows = await this.db.query<Row>(
      `SELECT * FROM policy_versions WHERE ($1::int IS NULL OR version < $1) ORDER BY version DESC LIMIT $2`,
      [before, limit],
    );
    return rows.map(toVersion);
  }

  /** Serialises policy changes across replicas until the end of the transaction. */
  async lock(): Promise<void> {
    await this.db.query(`SELECT pg_advisory_xact_lock(7311002)`);
  }

  async insert(v: { version: number; document: PolicyDocument; source: 'api' | 'file'; createdBy: string; diff: readonly PolicyChange[]; retroactive: boolean }): Promise<PolicyVersion> {
    const [row] = await this.db.query<Row>(
      `INSERT INTO policy_versions (version, document, source, created_by, diff, retroactive)
       VALUES ($1, $2::jsonb, $3, $4, $5::jsonb, $6) RETURNING *`,
      [v.version, JSON.stringify(v.document), v.source, v.createdBy, JSON.stringify(v.diff), v.retroactive],
    );
    return toVersion(row!);
  }

  async userByName(username: string): Promise<{ id: string; username: string } | null> {
    const [row] = await this.db.query<{ id: string; username: string }>(`SELECT id, username FROM users WHERE username = $1`, [username]);
    return row ?? null;
  }

  async groupsOf(userId: string): Promise<string[]> {
    const [row] = await this.db.query<{ groups: string[] }>(`SELECT groups FROM users WHERE id = $1`, [userId]);
    return row?.groups ?? [];
  }
}
