import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GENESIS_HASH } from './audit-event.js';
import { auditHash } from './audit-hash.js';

const event = {
  seq: 1,
  id: '5e0c0e3c-7a1e-4c36-9f57-3f1f9d0d0d01',
  at: '2030-01-01T00:00:00.000Z',
  type: 'download.completed',
  outcome: 'success',
  actor: 'recipient',
  linkId: null,
  grantId: null,
  fileId: null,
  bytes: 10,
  ip: '127.0.0.1',
  userAgent: 'curl',
  details: { b: 1, a: { y: 2, x: 1 } },
  prevHash: GENESIS_HASH,
};

describe(auditHash.name, () => {
  it('is stable whatever the key order of details (jsonb reorders keys)', () => {
    assert.equal(auditHash(event), auditHash({ ...event, details: { a: { x: 1, y: 2 }, b: 1 } }));
  });
  it('changes when any field or the previous hash changes', () => {
    const base = auditHash(event);
    for (const changed of [
      { ...event, bytes: 11 },
      { ...event, ip: '10.0.0.1' },
      { ...event, type: 'download.started' },
      { ...event, details: { b: 2, a: { y: 2, x: 1 } } },
      { ...event, prevHash: 'f'.repeat(64) },
      { ...event, seq: 2 },
    ]) {
      assert.notEqual(auditHash(changed), base);
    }
  });
});
