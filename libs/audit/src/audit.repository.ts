import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import { GENESIS_HASH, type AuditEvent } from './audit-event.js';

export interface AuditFilter {
  readonly from?: Date;
  readonly to?: Date;
  readonly types?: readonly string[];
  readonly linkId?: string;
}

interface Row {
  seq: string | number;
  id: string;
  at: Date;
  type: string;
  outcome: string;
  actor: string | null;
  link_id: string | null;
  grant_id: string | null;
  file_id: string | null;
  bytes: string | number | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown> | string;
  prev_hash: string;
  hash: string;
}

const toEvent = (r: Row): AuditEvent => ({
  seq: Number(r.seq),
  id: r.id,
  at: new Date(r.at).toISOString(),
  type: r.type,
  outcome: r.outcome,
  actor: r.actor,
  linkId: r.link_id,
  grantId: r.grant_id,
  fileId: r.file_id,
  bytes: r.bytes === null ? null : Number(r.bytes),
  ip: r.ip,
  userAgent: r.user_agent,
  details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, unknown>) : r.details,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** Serialises chain appends across every process: all writers take this lock inside their transaction. */
const CHAIN_LOCK = 7311002;

@Injectable()
export class AuditRepository {
  constructor(private readonly db: Database) {}

  /** Locks the chain for the current transaction and returns its head. */
  async lockHead(): Promise<{ seq: number; hash: string }> {
    await this.db.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
    const [row] = await this.db.query<{ seq: string | number; hash: string }>(
      'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1',
    );
    return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: GENESIS_HASH };
  }

  async insert(e: AuditEvent): Promise<void> {
    await this.db.query(
      `INSERT INTO audit_events (seq, id, at, type, outcome, actor, link_id, grant_id, file_id, bytes, ip, user_agent, details, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15)`,
      [
        e.seq,
        e.id,
        e.at,
        e.type,
        e.outcome,
        e.actor,
        e.linkId,
        e.grantId,
        e.fileId,
        e.bytes,
        e.ip,
        e.userAgent,
        JSON.stringify(e.details),
        e.prevHash,
        e.hash,
      ],
    );
  }

  /** One page of events after `afterSeq`, oldest first (keyset pagination: constant memory for any export). */
  async page(filter: AuditFilter, afterSeq: number, limit: number): Promise<AuditEvent[]> {
    const where: string[] = ['seq > $1'];
    const params: unknown[] = [afterSeq];
    if (filter.from) {
      params.push(filter.from);
      where.push(`at >= $${params.length}`);
    }
    if (filter.to) {
      params.push(filter.to);
      where.push(`at < $${params.length}`);
    }
    if (filter.types && filter.types.length > 0) {
      params.push(filter.types);
      where.push(`type = ANY($${params.length}::text[])`);
    }
    if (filter.linkId) {
      params.push(filter.linkId);
      where.push(`link_id = $${params.length}`);
    }
    params.push(limit);
    const rows = await this.db.query<Row>(
      `SELECT * FROM audit_events WHERE ${where.join(' AND ')} ORDER BY seq ASC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toEvent);
  }
}
