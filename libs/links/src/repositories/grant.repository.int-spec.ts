import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Database } from '@mft/db';
import { openTestDatabase } from '@mft/testing';
import { GrantRepository } from './grant.repository.js';
import { LinkRepository } from './link.repository.js';

describe(`${GrantRepository.name} against a real database`, () => {
  let db: Database;
  let close: () => Promise<void>;
  let sut: GrantRepository;
  let links: LinkRepository;
  let ownerId: string;

  before(async () => {
    ({ db, close } = await openTestDatabase());
    sut = new GrantRepository(db);
    links = new LinkRepository(db);
    ownerId = randomUUID();
    await db.query(`INSERT INTO users (id, username, roles) VALUES ($1, $2, '{employee}')`, [ownerId, `u-${ownerId}`]);
  });
  after(async () => close());

  async function newGrant(opts: { files?: number[]; expiresAt?: Date } = {}): Promise<{ linkId: string; grantId: string; fileIds: string[] }> {
    const linkId = randomUUID();
    await links.insertLink({
      id: linkId,
      kind: 'send',
      ownerId,
      storageConnection: 'default',
      oneTime: true,
      maxDownloads: 1,
      expiresAt: opts.expiresAt ?? new Date(Date.now() + 86_400_000),
      passwordHash: null,
      requireEmailVerification: false,
      message: null,
      emailRecipients: false,
      notifyOnDownload: false,
    });
    const fileIds: string[] = [];
    for (const [position, size] of (opts.files ?? [100]).entries()) {
      const id = randomUUID();
      fileIds.push(id);
      await links.insertFile({ id, linkId, position, name: `f${position}`, size, sha256: '0'.repeat(64), contentType: 'application/octet-stream', storageKey: `k/${id}` });
    }
    const grantId = randomUUID();
    await sut.insertGrant({ id: grantId, linkId, tokenHash: randomUUID(), recipient: null });
    return { linkId, grantId, fileIds };
  }

  it('50 concurrent claims of one grant by different sessions: exactly one wins', async () => {
    const { grantId } = await newGrant();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => sut.claim(grantId, `session-${i}`, randomUUID(), 900)));
    const winners = results.filter((r) => r !== null);
    assert.equal(winners.length, 1);
    assert.equal(winners[0]!.fresh, true);
  });

  it('the claiming session keeps its claim on later requests; others are refused', async () => {
    const { grantId } = await newGrant();
    const first = await sut.claim(grantId, 'me', randomUUID(), 900);
    const again = await sut.claim(grantId, 'me', randomUUID(), 900);
    assert.equal(again?.claimId, first?.claimId);
    assert.equal(again?.fresh, false);
    assert.equal(await sut.claim(grantId, 'someone-else', randomUUID(), 900), null);
  });

  it('a claim idle past the grace period is taken over, naming the displaced claim', async () => {
    const { grantId } = await newGrant();
    const first = await sut.claim(grantId, 'slow', randomUUID(), 900);
    await db.query(`UPDATE grants SET claim_seen_at = now() - interval '1 hour' WHERE id = $1`, [grantId]);
    const taken = await sut.claim(grantId, 'new', randomUUID(), 60);
    assert.ok(taken);
    assert.equal(taken.displacedClaimId, first!.claimId);
  });

  it('a claim idle past the grace period that has delivered bytes is neither taken over nor released; the sender\'s reset frees it', async () => {
    const { grantId, fileIds } = await newGrant({ files: [100] });
    const first = await sut.claim(grantId, 'slow', randomUUID(), 900);
    await sut.addDelivered(first!.claimId, grantId, fileIds[0]!, 0, 99);
    await db.query(`UPDATE grants SET claim_seen_at = now() - interval '1 hour' WHERE id = $1`, [grantId]);
    assert.equal(await sut.claim(grantId, 'new', randomUUID(), 60), null);
    assert.deepEqual(await sut.releaseStaleClaims(60, 100).then((r) => r.filter((x) => x.grantId === grantId)), []);
    assert.deepEqual([...(await sut.deliveredOf(first!.claimId))], [[fileIds[0]!, 99]]);
    assert.deepEqual([...(await sut.claimDeliveredBytes([grantId]))], [[grantId, 99]]);
    assert.equal((await sut.claim(grantId, 'slow', randomUUID(), 60))?.claimId, first!.claimId, 'its holder may resume');
    assert.equal(await sut.resetClaim(grantId, first!.claimId), true);
    assert.equal((await sut.deliveredOf(first!.claimId)).size, 0);
    assert.ok(await sut.claim(grantId, 'new', randomUUID(), 60));
  });

  it('a heartbeat answers whether the claim is still live: false once the link is revoked', async () => {
    const { linkId, grantId } = await newGrant();
    const claim = await sut.claim(grantId, 'me', randomUUID(), 900);
    assert.equal(await sut.touchClaim(grantId, claim!.claimId), true);
    assert.equal(await sut.grantLive(grantId), true);
    await links.revokeLink(linkId);
    assert.equal(await sut.touchClaim(grantId, claim!.claimId), false);
    assert.equal(await sut.grantLive(grantId), false);
  });

  it('no claim on an expired link', async () => {
    const { grantId } = await newGrant({ expiresAt: new Date(Date.now() - 1000) });
    assert.equal(await sut.claim(grantId, 's', randomUUID(), 900), null);
  });

  it('counts a file delivered only when its ranges cover every byte, in any order', async () => {
    const { linkId, grantId, fileIds } = await newGrant({ files: [100, 0] });
    const cycle = randomUUID();
    await sut.addDelivered(cycle, grantId, fileIds[0]!, 50, 100);
    assert.equal(await sut.undeliveredFiles(cycle, linkId), 2);
    await sut.addDelivered(cycle, grantId, fileIds[1]!, 0, 0);
    await sut.addDelivered(cycle, grantId, fileIds[0]!, 0, 40);
    assert.equal(await sut.undeliveredFiles(cycle, linkId), 1, 'bytes 40-49 are still missing');
    await sut.addDelivered(cycle, grantId, fileIds[0]!, 30, 60);
    assert.equal(await sut.undeliveredFiles(cycle, linkId), 0);
  });

  it('a completed download consumes the grant once, only for the holder of the claim', async () => {
    const { grantId } = await newGrant();
    const claim = await sut.claim(grantId, 'me', randomUUID(), 900);
    assert.equal(await sut.completeDownload(grantId, randomUUID(), 1), null, 'a stale claim id changes nothing');
    const done = await Promise.all([sut.completeDownload(grantId, claim!.claimId, 1), sut.completeDownload(grantId, claim!.claimId, 1)]);
    assert.equal(done.filter((g) => g !== null).length, 1);
    assert.equal(done.find((g) => g)?.status, 'consumed');
  });

  it('a late outcome of an older invitation does not overwrite the delivery of a newer one (after a resend)', async () => {
    const { linkId, grantId } = await newGrant();
    const invitation = async (createdAt: string): Promise<string> => {
      const id = randomUUID();
      await db.query(
        `INSERT INTO mail_queue (id, template, to_address, status, message_id, link_id, grant_id, created_at)
         VALUES ($1, 'recipient-invitation', 'x@partner.example', 'sending', $2, $3, $4, now() - $5::interval)`,
        [id, `<${id}@test>`, linkId, grantId, createdAt],
      );
      return id;
    };
    const older = await invitation('1 hour');
    const newer = await invitation('1 minute');
    const delivery = async (): Promise<{ status: string | null; error: string | null }> => {
      const [g] = await db.query<{ delivery_status: string | null; delivery_error: string | null }>(`SELECT delivery_status, delivery_error FROM grants WHERE id = $1`, [grantId]);
      return { status: g!.delivery_status, error: g!.delivery_error };
    };

    await sut.setDelivery(grantId, 'sent', null, newer);
    assert.deepEqual(await delivery(), { status: 'sent', error: null });
    await sut.setDelivery(grantId, 'failed', '550 no such user (old address)', older);
    assert.deepEqual(await delivery(), { status: 'sent', error: null }, 'the older message’s failure is not the grant’s state');
    await sut.setDelivery(grantId, 'failed', '550 mailbox full', newer);
    assert.deepEqual(await delivery(), { status: 'failed', error: '550 mailbox full' });
  });
});
