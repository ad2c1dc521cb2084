import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsonHeaders, TestGateway } from '@mft/testing';


describe('If-Match on the policy holds under concurrent replacements', () => {
  let gw: TestGateway;
  let admin: string;

  before(async () => {
    gw = await TestGateway.start();
    admin = await gw.token();
  });
  after(async () => gw?.stop());

  it('admins replacing the policy at once from the same ETag: exactly one 200, the others 412, one new version', async () => {
    const read = await fetch(`${gw.baseUrl}/api/v1/policy`, { headers: jsonHeaders(admin) });
    const etag = read.headers.get('etag')!;
    assert.equal(etag, '"policy-v0"');
    const puts = await Promise.all(
      [10, 11, 12, 13, 14, 15].map((maxDays) =>
        fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: jsonHeaders(admin, { 'if-match': etag }), body: JSON.stringify({ expiry: { maxDays } }) }),
      ),
    );
    const statuses = puts.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 412, 412, 412, 412, 412]);
    const refused = (await puts.find((r) => r.status === 412)!.json()) as { code: string; currentVersion: number };
    assert.equal(refused.code, 'policy_version_changed');
    assert.equal(refused.currentVersion, 1);
    const versions = (await (await fetch(`${gw.baseUrl}/api/v1/policy/versions`, { headers: jsonHeaders(admin) })).json()) as Array<{ version: number }>;
    assert.deepEqual(versions.map((v) => v.version), [1]);
  });

  it('an If-Match that names no version in force answers 412, and one that names it answers 200', async () => {
    const stale = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: jsonHeaders(admin, { 'if-match': '"policy-v0"' }), body: JSON.stringify({ expiry: { maxDays: 9 } }) });
    assert.equal(stale.status, 412);
    const garbled = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: jsonHeaders(admin, { 'if-match': 'W/"nonsense"' }), body: JSON.stringify({ expiry: { maxDays: 9 } }) });
    assert.equal(garbled.status, 412);
    const fresh = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: jsonHeaders(admin, { 'if-match': '"policy-v1"' }), body: JSON.stringify({ expiry: { maxDays: 9 } }) });
    assert.equal(fresh.status, 200);
    assert.equal(fresh.headers.get('etag'), '"policy-v2"');
  });
});
