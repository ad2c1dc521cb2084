import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GoneError } from '@mft/core';
import { assertGrantUsable, downloadLimit, grantTrackingStatus } from './link.js';
import { grant, link, now } from './link-fixtures.js';

const code = (fn: () => void): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GoneError);
    return err.code;
  }
  return 'usable';
};

describe(assertGrantUsable.name, () => {
  it('lets a live grant through', () => {
    assert.equal(code(() => assertGrantUsable(link(), grant(), now)), 'usable');
  });
  it('ends access at the expiry instant, before any sweep ran', () => {
    assert.equal(code(() => assertGrantUsable(link({ expiresAt: now }), grant(), now)), 'link_expired');
  });
  it('ends access at once on revocation, of the link or of the grant', () => {
    assert.equal(code(() => assertGrantUsable(link({ revokedAt: now }), grant(), now)), 'link_revoked');
    assert.equal(code(() => assertGrantUsable(link(), grant({ status: 'revoked' }), now)), 'link_revoked');
  });
  it('ends access once consumed', () => {
    assert.equal(code(() => assertGrantUsable(link({ oneTime: true }), grant({ status: 'consumed' }), now)), 'grant_consumed');
  });
  it('a link without expiry stays usable', () => {
    assert.equal(code(() => assertGrantUsable(link({ expiresAt: null }), grant(), new Date('2100-01-01'))), 'usable');
  });
});

describe(downloadLimit.name, () => {
  it('one-time is a limit of one; otherwise maxDownloads; none means unlimited', () => {
    assert.equal(downloadLimit({ oneTime: true, maxDownloads: null }), 1);
    assert.equal(downloadLimit({ oneTime: false, maxDownloads: 3 }), 3);
    assert.equal(downloadLimit({ oneTime: false, maxDownloads: null }), null);
  });
});

describe(grantTrackingStatus.name, () => {
  it('tells the sender where each recipient is', () => {
    assert.equal(grantTrackingStatus(link(), grant(), now), 'sent');
    assert.equal(grantTrackingStatus(link(), grant({ openedAt: now }), now), 'opened');
    assert.equal(grantTrackingStatus(link(), grant({ openedAt: now, claimId: 'c' }), now), 'downloading');
    assert.equal(grantTrackingStatus(link(), grant({ downloads: 1 }), now), 'downloaded');
    assert.equal(grantTrackingStatus(link(), grant({ status: 'consumed' }), now), 'consumed');
    assert.equal(grantTrackingStatus(link({ expiresAt: now }), grant(), now), 'expired');
  });
});
