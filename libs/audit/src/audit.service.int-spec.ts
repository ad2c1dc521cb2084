import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SystemClock } from '@mft/core';
import type { Database } from '@mft/db';
import { openTestDatabase } from '@mft/testing';
import type { AccessContext } from './audit-event.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';

const ctx: AccessContext = { actor: 'user:alice', ip: '127.0.0.1', userAgent: "'); DELETE FROM audit_events; --" };

describe(`${AuditService.name} against a real database`, () => {
  let db: Database;
  let close: () => Promise<void>;
  let sut: AuditService;

  before(async () => {
    ({ db, close } = await openTestDatabase());
    sut = new AuditService(db, new AuditRepository(db), new SystemClock());
  });
  after(async () => close());

  it('concurrent writers never fork the chain', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => sut.record(ctx, { type: 'page.opened', details: { i } }, { type: 'download.started', bytes: i })),
    );
    const result = await sut.verify();
    assert.deepEqual(result, { ok: true, checked: 80 });
  });

  it('stores hostile strings literally', async () => {
    const events = [];
    for await (const e of sut.events({ types: ['page.opened'] })) {
      events.push(e);
    }
    assert.equal(events[0]!.userAgent, ctx.userAgent);
  });

  it('an event written in a transaction that rolls back leaves no trace and no gap', async () => {
    await assert.rejects(
      db.transaction(async () => {
        await sut.record(ctx, { type: 'link.created' });
        throw new Error('the state change failed');
      }),
    );
    assert.deepEqual(await sut.verify(), { ok: true, checked: 80 });
  });

  it('an edited row is detected, naming the first bad event', async () => {
    await db.query(`UPDATE audit_events SET ip = '10.9.9.9' WHERE seq = 17`);
    const result = await sut.verify();
    assert.equal(result.ok, false);
    assert.equal(result.firstBad?.seq, 17);
    assert.equal(result.checked, 16);
    assert.match(result.firstBad!.reason, /changed/);
    await db.query(`UPDATE audit_events SET ip = '127.0.0.1' WHERE seq = 17`);
    assert.equal((await sut.verify()).ok, true);
  });

  it('a deleted row is detected', async () => {
    await db.query(`DELETE FROM audit_events WHERE seq = 40`);
    const result = await sut.verify();
    assert.equal(result.ok, false);
    assert.equal(result.firstBad?.seq, 41);
  });

  it('a row edited together with its own hash is still detected by the next link', async () => {
    await db.query(`DELETE FROM audit_events WHERE seq > 39`);
    await sut.record(ctx, { type: 'page.opened' }, { type: 'page.opened' });
    assert.equal((await sut.verify()).ok, true);
    await db.query(`UPDATE audit_events SET hash = repeat('a', 64), outcome = 'failure' WHERE seq = 40`);
    const result = await sut.verify();
    assert.equal(result.ok, false);
    assert.equal(result.firstBad?.seq, 40);
  });
});
