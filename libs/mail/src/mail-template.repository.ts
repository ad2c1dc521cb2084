import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import type { MailTemplatePart } from './mail-template-catalogue.js';

/** The administrator's text of each part; null where the built-in file is used. */
export type TemplateOverrides = Readonly<Record<MailTemplatePart, string | null>>;

/** One saved version of a template: a save, the restore of an earlier version, or a reset to the built-in files. */
export interface MailTemplateVersion {
  readonly template: string;
  readonly version: number;
  readonly parts: TemplateOverrides;
  readonly action: 'saved' | 'restored' | 'reset';
  readonly restoredFrom: number | null;
  readonly createdAt: string;
  readonly createdBy: string;
}

interface Row {
  template: string;
  version: number;
  subject: string | null;
  text_body: string | null;
  html_body: string | null;
  action: MailTemplateVersion['action'];
  restored_from: number | null;
  created_at: Date | string;
  created_by: string;
}

const toVersion = (r: Row): MailTemplateVersion => ({
  template: r.template,
  version: Number(r.version),
  parts: { subject: r.subject, text: r.text_body, html: r.html_body },
  action: r.action,
  restoredFrom: r.restored_from === null ? null : Number(r.restored_from),
  createdAt: new Date(r.created_at).toISOString(),
  createdBy: r.created_by,
});

/** Every SQL statement about template versions. */
@Injectable()
export class MailTemplateRepository {
  constructor(private readonly db: Database) {}

  /** The version in force of each template that has one (a template without a row is at version 0, its files). */
  async latestVersions(): Promise<Map<string, number>> {
    const rows = await this.db.query<{ template: string; version: number }>(`SELECT template, MAX(version) AS version FROM mail_template_versions GROUP BY template`);
    return new Map(rows.map((r) => [r.template, Number(r.version)]));
  }

  async latest(template: string): Promise<MailTemplateVersion | null> {
    const [row] = await this.db.query<Row>(`SELECT * FROM mail_template_versions WHERE template = $1 ORDER BY version DESC LIMIT 1`, [template]);
    return row ? toVersion(row) : null;
  }

  async find(template: string, version: number): Promise<MailTemplateVersion | null> {
    const [row] = await this.db.query<Row>(`SELECT * FROM mail_template_versions WHERE template = $1 AND version = $2`, [template, version]);
    return row ? toVersion(row) : null;
  }

  async list(template: string, limit: number, before: number | null): Promise<MailTemplateVersion[]> {
    const rows = await this.db.query<Row>(
      `SELECT * FROM mail_template_versions WHERE template = $1 AND ($2::int IS NULL OR version < $2) ORDER BY version DESC LIMIT $3`,
      [template, before, limit],
    );
    return rows.map(toVersion);
  }

  /** Serialises changes to templates across replicas until the end of the transaction. */
  async lock(): Promise<void> {
    await this.db.query(`SELECT pg_advisory_xact_lock(7311005)`);
  }

  async insert(v: { template: string; version: number; parts: TemplateOverrides; action: MailTemplateVersion['action']; restoredFrom: number | null; createdBy: string }): Promise<MailTemplateVersion> {
    const [row] = await this.db.query<Row>(
      `INSERT INTO mail_template_versions (template, version, subject, text_body, html_body, action, restored_from, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [v.template, v.version, v.parts.subject, v.parts.text, v.parts.html, v.action, v.restoredFrom, v.createdBy],
    );
    return toVersion(row!);
  }
}
