import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';

/** A resumable upload as stored. Sizes are numbers: they stay far below 2^53. */
export interface ResumableUploadRow {
  readonly id: string;
  readonly ownerId: string;
  readonly connection: string;
  readonly length: number;
  readonly offset: number;
  readonly fileName: string;
  readonly contentType: string;
  readonly metadata: string;
  readonly writer: string | null;
  readonly usedAt: Date | null;
  readonly expiresAt: Date;
}

export interface SegmentRow {
  readonly start: number;
  readonly size: number;
  readonly key: string;
  /** The digests of the segment's bytes, kept for the first segment (null for the others). */
  readonly sha256?: string | null;
  readonly crc32?: number | null;
}

interface RawRow {
  id: string;
  owner_id: string;
  storage_connection: string;
  upload_length: string | number;
  upload_offset: string | number;
  file_name: string;
  content_type: string;
  metadata: string;
  writer: string | null;
  used_at: Date | string | null;
  expires_at: Date | string;
}

const COLUMNS = `id, owner_id, storage_connection, upload_length, upload_offset, file_name, content_type, metadata, writer, used_at, expires_at`;

const toRow = (r: RawRow): ResumableUploadRow => ({
  id: r.id,
  ownerId: r.owner_id,
  connection: r.storage_connection,
  length: Number(r.upload_length),
  offset: Number(r.upload_offset),
  fileName: r.file_name,
  contentType: r.content_type,
  metadata: r.metadata,
  writer: r.writer,
  usedAt: r.used_at === null ? null : new Date(r.used_at),
  expiresAt: new Date(r.expires_at),
});

/** Every SQL statement about resumable uploads. Each change is conditional, so replicas never step on each other. */
@Injectable()
export class ResumableUploadRepository {
  constructor(private readonly db: Database) {}

  async insert(u: { id: string; ownerId: string; connection: string; length: number; fileName: string; contentType: string; metadata: string; lifetimeSeconds: number }): Promise<ResumableUploadRow> {
    const rows = await this.db.query<RawRow>(
      `INSERT INTO resumable_uploads (id, owner_id, storage_connection, upload_length, file_name, content_type, metadata, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8::float8)) RETURNING ${COLUMNS}`,
      [u.id, u.ownerId, u.connection, u.length, u.fileName, u.contentType, u.metadata, u.lifetimeSeconds],
    );
    return toRow(rows[0]!);
  }

  /** The upload `id` of `ownerId`, expired or not; null when there is none. */
  async find(id: string, ownerId: string): Promise<ResumableUploadRow | null> {
    const rows = await this.db.query<RawRow>(`SELECT ${COLUMNS} FROM resumable_uploads WHERE id = $1 AND owner_id = $2`, [id, ownerId]);
    return rows[0] ? toRow(rows[0]) : null;
  }

  /**
   * Makes `writer` the one request appending at `offset`, if no other live request writes (a writer
   * silent for `staleSeconds` has died). False when another writes or the offset moved.
   */
  async acquireWriter(id: string, offset: number, writer: string, staleSeconds: number): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE resumable_uploads SET writer = $3, writer_seen_at = now()
       WHERE id = $1 AND upload_offset = $2 AND used_at IS NULL AND expires_at > now()
         AND (writer IS NULL OR writer_seen_at < now() - make_interval(secs => $4::float8))
       RETURNING id`,
      [id, offset, writer, staleSeconds],
    );
    return rows.length === 1;
  }

  async touchWriter(id: string, writer: string): Promise<void> {
    await this.db.query(`UPDATE resumable_uploads SET writer_seen_at = now() WHERE id = $1 AND writer = $2`, [id, writer]);
  }

  async releaseWriter(id: string, writer: string): Promise<void> {
    await this.db.query(`UPDATE resumable_uploads SET writer = NULL, writer_seen_at = NULL WHERE id = $1 AND writer = $2`, [id, writer]);
  }

  /**
   * Records a committed segment and moves the offset past it, releasing the writer and renewing the
   * expiry. False (and nothing recorded) when `writer` no longer holds the upload.
   */
  async appendSegment(id: string, writer: string, segment: SegmentRow, lifetimeSeconds: number): Promise<number | null> {
    return this.db.transaction(async () => {
      const rows = await this.db.query<{ upload_offset: string | number }>(
        `UPDATE resumable_uploads SET upload_offset = upload_offset + $4, writer = NULL, writer_seen_at = NULL,
           expires_at = now() + make_interval(secs => $5::float8)
         WHERE id = $1 AND writer = $2 AND upload_offset = $3 RETURNING upload_offset`,
        [id, writer, segment.start, segment.size, lifetimeSeconds],
      );
      if (rows.length === 0) {
        return null;
      }
      await this.db.query(`INSERT INTO resumable_upload_segments (upload_id, start_offset, size, storage_key, sha256, crc32) VALUES ($1, $2, $3, $4, $5, $6)`, [
        id,
        segment.start,
        segment.size,
        segment.key,
        segment.sha256 ?? null,
        segment.crc32 ?? null,
      ]);
      return Number(rows[0]!.upload_offset);
    });
  }

  async segments(id: string): Promise<SegmentRow[]> {
    const rows = await this.db.query<{ start_offset: string | number; size: string | number; storage_key: string; sha256: string | null; crc32: string | number | null }>(
      `SELECT start_offset, size, storage_key, sha256, crc32 FROM resumable_upload_segments WHERE upload_id = $1 ORDER BY start_offset`,
      [id],
    );
    return rows.map((r) => ({ start: Number(r.start_offset), size: Number(r.size), key: r.storage_key, sha256: r.sha256, crc32: r.crc32 === null ? null : Number(r.crc32) }));
  }

  /**
   * Reserves complete, unexpired, unused uploads of `ownerId` for one link; returns those it
   * reserved. Their expiry moves `lifetimeSeconds` on, so that the sweep leaves them alone while the link is made.
   */
  async claim(ids: readonly string[], ownerId: string, lifetimeSeconds: number): Promise<ResumableUploadRow[]> {
    const rows = await this.db.query<RawRow>(
      `UPDATE resumable_uploads SET used_at = now(), expires_at = now() + make_interval(secs => $3::float8)
       WHERE id = ANY($1::uuid[]) AND owner_id = $2 AND upload_offset = upload_length AND used_at IS NULL AND writer IS NULL AND expires_at > now()
       RETURNING ${COLUMNS}`,
      [ids, ownerId, lifetimeSeconds],
    );
    return rows.map(toRow);
  }

  async unclaim(ids: readonly string[]): Promise<void> {
    await this.db.query(`UPDATE resumable_uploads SET used_at = NULL WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async delete(id: string): Promise<void> {
    await this.db.query(`DELETE FROM resumable_uploads WHERE id = $1`, [id]);
  }

  /** Uploads past their expiry that no live request writes to. */
  async expired(staleSeconds: number, limit: number): Promise<ResumableUploadRow[]> {
    const rows = await this.db.query<RawRow>(
      `SELECT ${COLUMNS} FROM resumable_uploads
       WHERE expires_at < now() AND (writer IS NULL OR writer_seen_at < now() - make_interval(secs => $1::float8))
       ORDER BY expires_at LIMIT $2`,
      [staleSeconds, limit],
    );
    return rows.map(toRow);
  }
}
