import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Clock } from '@mft/core';
import { Database } from '@mft/db';
import { GENESIS_HASH, type AccessContext, type AuditEvent, type AuditEventInput } from './audit-event.js';
import { auditHash } from './audit-hash.js';
import { AuditRepository, type AuditFilter } from './audit.repository.js';

export interface VerifyResult {
  readonly ok: boolean;
  readonly checked: number;
  /** The first event that does not match its recorded hash or its predecessor, when `ok` is false. */
  readonly firstBad?: { readonly seq: number; readonly id: string; readonly reason: string };
}

const PAGE = 500;

/** Appends hash-chained events and reads them back for auditors. */
@Injectable()
export class AuditService {
  constructor(
    private readonly db: Database,
    private readonly repo: AuditRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * Records events in the caller's transaction (or a new one), so that a state change and its
   * audit events commit or roll back together.
   */
  async record(ctx: AccessContext, ...inputs: AuditEventInput[]): Promise<void> {
    await this.db.transaction(async () => {
      let head = await this.repo.lockHead();
      for (const input of inputs) {
        const draft = {
          seq: head.seq + 1,
          id: randomUUID(),
          at: this.clock.now().toISOString(),
          type: input.type,
          outcome: input.outcome ?? 'success',
          actor: ctx.actor,
          linkId: input.linkId ?? null,
          grantId: input.grantId ?? null,
          fileId: input.fileId ?? null,
          bytes: input.bytes ?? null,
          ip: ctx.ip,
          userAgent: ctx.userAgent,
          details: input.details ?? {},
          prevHash: head.hash,
        };
        const event: AuditEvent = { ...draft, hash: auditHash(draft) };
        await this.repo.insert(event);
        head = { seq: event.seq, hash: event.hash };
      }
    });
  }

  /** Streams matching events page by page; memory stays flat whatever the size of the log. */
  async *events(filter: AuditFilter): AsyncGenerator<AuditEvent> {
    let after = 0;
    for (;;) {
      const page = await this.repo.page(filter, after, PAGE);
      yield* page;
      if (page.length < PAGE) {
        return;
      }
      after = page[page.length - 1]!.seq;
    }
  }

  /** Recomputes the whole chain: any edited, inserted or deleted row breaks it. */
  async verify(): Promise<VerifyResult> {
    let checked = 0;
    let prev = { seq: 0, hash: GENESIS_HASH };
    for await (const e of this.events({})) {
      const bad = (reason: string): VerifyResult => ({ ok: false, checked, firstBad: { seq: e.seq, id: e.id, reason } });
      if (e.seq !== prev.seq + 1) {
        return bad(`sequence jumps from ${prev.seq} to ${e.seq}: events are missing`);
      }
      if (e.prevHash !== prev.hash) {
        return bad('the previous-hash link does not match the event before it');
      }
      const { hash, ...rest } = e;
      if (auditHash(rest) !== hash) {
        return bad('the event content does not match its hash: it was changed after it was written');
      }
      checked++;
      prev = { seq: e.seq, hash: e.hash };
    }
    return { ok: true, checked };
  }
}
