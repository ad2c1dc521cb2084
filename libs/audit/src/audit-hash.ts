import { createHash } from 'node:crypto';
import type { AuditEvent } from './audit-event.js';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(canonical);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** The chain hash of an event: SHA-256 over the previous hash and a canonical form of every field. */
export function auditHash(e: Omit<AuditEvent, 'hash'>): string {
  const body = JSON.stringify([
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
    canonical(e.details),
  ]);
  return createHash('sha256').update(e.prevHash).update('\n').update(body).digest('hex');
}
