import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';

/** Every SQL statement about uploads in progress: bytes written to storage for a link that does not exist yet. */
@Injectable()
export class PendingUploadRepository {
  constructor(private readonly db: Database) {}

  async insertPending(p: { id: string; connection: string; key: string }): Promise<void> {
    await this.db.query(`INSERT INTO pending_uploads (id, storage_connection, storage_key) VALUES ($1, $2, $3)`, [p.id, p.connection, p.key]);
  }

  /** Records the backend's name for the staged bytes (`StagedWrite.reference`), so that any process can discard them. */
  async setStagingRef(id: string, reference: string): Promise<void> {
    await this.db.query(`UPDATE pending_uploads SET staging_ref = $2 WHERE id = $1`, [id, reference]);
  }

  async touchPending(ids: readonly string[]): Promise<void> {
    await this.db.query(`UPDATE pending_uploads SET seen_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async deletePending(ids: readonly string[]): Promise<void> {
    await this.db.query(`DELETE FROM pending_uploads WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** Uploads whose writer has been silent for `staleSeconds`: their writer died (an SFTP drop still waiting for its link is not: DropBatches recovers it). `stagingRef` is null for rows kept before there was one. */
  async stalePending(staleSeconds: number, limit: number): Promise<Array<{ id: string; connection: string; key: string; stagingRef: string | null }>> {
    const rows = await this.db.query<{ id: string; storage_connection: string; storage_key: string; staging_ref: string | null }>(
      `SELECT id, storage_connection, storage_key, staging_ref FROM pending_uploads
       WHERE seen_at < now() - make_interval(secs => $1::float8)
         AND NOT EXISTS (SELECT 1 FROM sftp_drop_waiting w WHERE w.file_id = pending_uploads.id)
       ORDER BY seen_at LIMIT $2`,
      [staleSeconds, limit],
    );
    return rows.map((r) => ({ id: r.id, connection: r.storage_connection, key: r.storage_key, stagingRef: r.staging_ref }));
  }
}
