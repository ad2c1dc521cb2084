import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The CRC-32 of each stored copy, computed during upload, so that a resumed archive download can
 * write the data descriptors and central directory of entries it does not read again. Null for
 * files stored before it was recorded (their CRC is computed from the copy when needed).
 */
export class FileCrc321765600000000 implements MigrationInterface {
  name = 'FileCrc321765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE link_files ADD COLUMN crc32 bigint CHECK (crc32 BETWEEN 0 AND 4294967295)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE link_files DROP COLUMN crc32`);
  }
}
