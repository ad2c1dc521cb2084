import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The SHA-256 and CRC-32 of a resumable upload's first segment, computed as its bytes arrive. An
 * upload that is one segment then becomes a link's file by a copy inside the storage backend (a
 * hard link on disk, CopyObject on S3), without reading its bytes again.
 */
export class UploadSegmentDigests1765900000000 implements MigrationInterface {
  name = 'UploadSegmentDigests1765900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resumable_upload_segments ADD COLUMN sha256 text, ADD COLUMN crc32 bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resumable_upload_segments DROP COLUMN sha256, DROP COLUMN crc32`);
  }
}
