import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GrantRules, LinkRules } from './link.js';
import { grant, link, now } from './link-fixtures.js';

const later = new Date('2030-01-02T12:00:00Z');
const earlier = new Date('2029-12-31T18:00:00Z');

describe(GrantRules.name, () => {
  describe('endReason: revoked, then expired, then consumed', () => {
    it('revoked wins over expired and consumed', () => {
      const sut = new GrantRules(link({ revokedAt: earlier, expiresAt: earlier, oneTime: true }), grant({ status: 'consumed', downloads: 1 }));
      assert.equal(sut.endReason(now), 'revoked');
    });
    it('a grant revoked alone ends as revoked even when the link expired', () => {
      assert.equal(new GrantRules(link({ expiresAt: earlier }), grant({ status: 'revoked' })).endReason(now), 'revoked');
    });
    it('expired wins over consumed, whether the sweep recorded it or the instant has passed', () => {
      assert.equal(new GrantRules(link({ expiresAt: now, oneTime: true }), grant({ status: 'consumed', downloads: 1 })).endReason(now), 'expired');
      assert.equal(new GrantRules(link({ endedReason: 'expired', endedAt: earlier }), grant({ status: 'expired' })).endReason(now), 'expired');
    });
    it('consumed once every allowed download is done, even before the status says so', () => {
      assert.equal(new GrantRules(link({ maxDownloads: 2 }), grant({ downloads: 2 })).endReason(now), 'consumed');
      assert.equal(new GrantRules(link({ maxDownloads: 2 }), grant({ downloads: 1 })).endReason(now), null);
    });
    it('a link ended by its other grants ends this one as `ended`, reported by the link’s reason', () => {
      const sut = new GrantRules(link({ endedReason: 'consumed', endedAt: earlier }), grant());
      assert.equal(sut.endReason(now), 'ended');
      assert.equal(sut.reportedEndReason(now), 'consumed');
      assert.equal(sut.usable(now), false);
    });
    it('an expiry still ahead, or none, is usable', () => {
      assert.equal(new GrantRules(link(), grant()).usable(now), true);
      assert.equal(new GrantRules(link({ expiresAt: null }), grant()).usable(later), true);
    });
  });

  it('status: a grant that ended by itself keeps its end; an active grant shows the link’s end, else its progress', () => {
    assert.equal(new GrantRules(link({ revokedAt: later }), grant({ status: 'consumed', downloads: 1 })).status(later), 'consumed');
    assert.equal(new GrantRules(link({ revokedAt: earlier }), grant()).status(now), 'revoked');
    assert.equal(new GrantRules(link(), grant({ deliveryStatus: 'failed' })).status(now), 'delivery_failed');
    assert.equal(new GrantRules(link(), grant({ deliveryStatus: 'queued' })).status(now), 'queued');
  });

  it('locks: the password, then the email, minus what the session has proved', () => {
    const both = link({ passwordHash: 'h', requireEmailVerification: true });
    assert.deepEqual(new GrantRules(both, grant()).locks({ unlocked: false, verifiedEmail: null }), ['password', 'email']);
    assert.deepEqual(new GrantRules(both, grant()).locks({ unlocked: true, verifiedEmail: null }), ['email']);
    assert.deepEqual(new GrantRules(both, grant()).locks({ unlocked: false, verifiedEmail: 'r@partner.example' }), ['password']);
    assert.deepEqual(new GrantRules(link(), grant()).locks({ unlocked: false, verifiedEmail: null }), []);
  });

  it('remainingDownloads: the limit less the downloads, never below zero; null when unlimited', () => {
    assert.equal(new GrantRules(link({ maxDownloads: 3 }), grant({ downloads: 1 })).remainingDownloads(), 2);
    assert.equal(new GrantRules(link({ oneTime: true }), grant({ downloads: 2 })).remainingDownloads(), 0);
    assert.equal(new GrantRules(link(), grant({ downloads: 5 })).remainingDownloads(), null);
  });

  it('resendRefusal: no recipient, then ended, then a download under way', () => {
    assert.equal(new GrantRules(link({ revokedAt: earlier }), grant({ claimId: 'c' })).resendRefusal(now), 'no_recipient');
    assert.equal(new GrantRules(link({ revokedAt: earlier }), grant({ recipient: 'r@partner.example', claimId: 'c' })).resendRefusal(now), 'ended');
    assert.equal(new GrantRules(link(), grant({ recipient: 'r@partner.example', claimId: 'c' })).resendRefusal(now), 'in_use');
    assert.equal(new GrantRules(link(), grant({ recipient: 'r@partner.example' })).canResend(now), true);
  });
});

describe(LinkRules.name, () => {
  it('status: revoked (even after it was consumed), else its recorded end, else expired once the instant has come', () => {
    assert.equal(new LinkRules(link({ endedReason: 'consumed', endedAt: earlier, revokedAt: now })).status(now), 'revoked');
    assert.equal(new LinkRules(link({ endedReason: 'consumed', endedAt: earlier, expiresAt: earlier })).status(now), 'consumed');
    assert.equal(new LinkRules(link({ expiresAt: now })).status(now), 'expired');
    assert.equal(new LinkRules(link()).status(now), 'active');
  });

  it('endReason: revoked, then expired, then consumed; a purged link is not usable', () => {
    assert.equal(new LinkRules(link({ endedReason: 'consumed', endedAt: earlier, expiresAt: earlier })).endReason(now), 'expired');
    assert.equal(new LinkRules(link({ purgedAt: earlier })).usable(now), false);
    assert.equal(LinkRules.downloadLimitOf({ oneTime: true, maxDownloads: 5 }), 1);
  });
});
