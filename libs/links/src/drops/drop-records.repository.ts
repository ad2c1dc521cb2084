import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import { liveLinkSql } from '../repositories/link.repository.js';

/** A dropped file whose link exists (`sent`) or was refused, as its dropper's listing shows it. */
export interface DropRecord {
  readonly id: string;
  readonly folder: string;
  readonly fileName: string;
  readonly outcome: 'sent' | 'refused';
  readonly linkId: string | null;
  readonly fileId: string | null;
  readonly size: number;
  readonly linkTextSealed: string | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly createdAt: Date;
  /** For a sent file: where its copy is stored. */
  readonly storage: { connection: string; key: string } | null;
}

interface Row {
  id: string;
  folder: string;
  file_name: string;
  outcome: 'sent' | 'refused';
  link_id: string | null;
  file_id: string | null;
  size: string | number;
  link_text_sealed: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: Date | string;
  storage_connection: string | null;
  storage_key: string | null;
}

const toRecord = (r: Row): DropRecord => ({
  id: r.id,
  folder: r.folder,
  fileName: r.file_name,
  outcome: r.outcome,
  linkId: r.link_id,
  fileId: r.file_id,
  size: Number(r.size),
  linkTextSealed: r.link_text_sealed,
  errorCode: r.error_code,
  errorMessage: r.error_message,
  createdAt: new Date(r.created_at),
  storage: r.storage_connection && r.storage_key ? { connection: r.storage_connection, key: r.storage_key } : null,
});

/** Every SQL statement about SFTP drops. */
@Injectable()
export class DropRecordsRepository {
  constructor(private readonly db: Database) {}

  async insert(r: { id: string; userId: string; folder: string; fileName: string; outcome: 'sent' | 'refused'; linkId: string | null; fileId: string | null; size: number; linkTextSealed: string | null; errorCode: string | null; errorMessage: string | null }): Promise<void> {
    await this.db.query(
      `INSERT INTO sftp_drops (id, user_id, folder, file_name, outcome, link_id, file_id, size, link_text_sealed, error_code, error_message)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [r.id, r.userId, r.folder, r.fileName, r.outcome, r.linkId, r.fileId, r.size, r.linkTextSealed, r.errorCode, r.errorMessage],
    );
  }

  /**
   * What `userId`'s listing of `folder` shows: refusals, and sent files whose link still lives
   * (a file dropped again after its link ended shows once, as the newest drop of that name).
   */
  async inFolder(userId: string, folder: string): Promise<DropRecord[]> {
    const rows = await this.db.query<Row>(
      `SELECT d.id, d.folder, d.file_name, d.outcome, d.link_id, d.file_id, d.size, d.link_text_sealed, d.error_code, d.error_message, d.created_at,
              l.storage_connection, f.storage_key
       FROM sftp_drops d
       LEFT JOIN links l ON l.id = d.link_id
       LEFT JOIN link_files f ON f.id = d.file_id
       WHERE d.user_id = $1 AND d.folder = $2 AND (d.outcome = 'refused' OR ${liveLinkSql({ link: 'l', now: 'now()' })})
       ORDER BY d.file_name, d.created_at DESC`,
      [userId, folder],
    );
    const seen = new Set<string>();
    return rows.map(toRecord).filter((r) => {
      const key = `${r.outcome}:${r.fileName}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
  }

  /** The folders under `prefix` (`send/`) where `userId` has something to show. */
  async folders(userId: string, prefix: string): Promise<string[]> {
    const rows = await this.db.query<{ folder: string }>(
      `SELECT DISTINCT d.folder FROM sftp_drops d LEFT JOIN links l ON l.id = d.link_id
       WHERE d.user_id = $1 AND left(d.folder, length($2)) = $2 AND (d.outcome = 'refused' OR ${liveLinkSql({ link: 'l', now: 'now()' })})
       ORDER BY d.folder`,
      [userId, prefix],
    );
    return rows.map((r) => r.folder);
  }

  /** Forgets the refusals of `fileName` (the dropper removed its `.error.txt`, or dropped it again). */
  async deleteRefusals(userId: string, folder: string, fileName: string): Promise<number> {
    const rows = await this.db.query<{ id: string }>(`DELETE FROM sftp_drops WHERE user_id = $1 AND folder = $2 AND file_name = $3 AND outcome = 'refused' RETURNING id`, [userId, folder, fileName]);
    return rows.length;
  }
}
