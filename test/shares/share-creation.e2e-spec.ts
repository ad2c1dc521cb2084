import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSendLink, TestGateway } from '@mft/testing';
import { createShare, writeTree } from './share-fixtures.js';

describe('creating share links: refusals, in the contract order, and nothing created', () => {
  let gw: TestGateway;
  let admin: string;
  let employee: string;
  let manager: string;

  before(async () => {
    gw = await TestGateway.start();
    admin = await gw.token();
    await gw.cli('user', 'add', '--user', 'emp', '--roles', 'employee');
    await gw.cli('user', 'add', '--user', 'mgr', '--roles', 'manager');
    employee = await gw.token('emp');
    manager = await gw.token('mgr');
    writeTree(gw, 'docs', { 'a.txt': 'a' });
    writeTree(gw, 'docs-private', { 'b.txt': 'b' });
  });
  after(async () => {
    await gw?.stop();
  });

  async function linkCount(): Promise<number> {
    const res = await fetch(`${gw.baseUrl}/api/v1/links?limit=200`, { headers: { authorization: `Bearer ${admin}` } });
    return ((await res.json()) as unknown[]).length;
  }

  async function refused(token: string, body: Record<string, unknown>, status: number, code: string | RegExp): Promise<{ message: string }> {
    const before = await linkCount();
    const res = await createShare(gw, token, body);
    assert.equal(res.status, status, JSON.stringify(res.body));
    if (typeof code === 'string') {
      assert.equal(res.body.code, code);
    } else {
      assert.match(String(res.body.code), code);
    }
    assert.equal(await linkCount(), before, 'nothing created');
    return { message: String(res.body.message) };
  }

  it('an admin shares a file: 201 with the same shape as a send link', async () => {
    const res = await createShare(gw, admin, { path: '/docs/a.txt', recipients: ['r@example.com'], oneTime: true, message: 'here' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.kind, 'share');
    assert.equal(res.body.grants.length, 1);
    assert.equal(res.body.grants[0]!.recipient, 'r@example.com');
    assert.match(res.body.grants[0]!.url, /\/l\/[A-Za-z0-9_-]{20,}$/);
    const events = await (await fetch(`${gw.baseUrl}/api/v1/audit/events?linkId=${res.body.id}&format=json`, { headers: { authorization: `Bearer ${admin}` } })).json();
    const created = (events as Array<{ type: string; details: Record<string, unknown> }>).find((e) => e.type === 'link.created');
    assert.equal(created?.details.kind, 'share');
    assert.equal(created?.details.path, '/docs/a.txt');
  });

  it('an employee (not in creators.share) gets 422 policy_creators_share, before anything about the path is looked at', async () => {
    const { message } = await refused(employee, { path: '/docs/a.txt' }, 422, 'policy_creators_share');
    assert.match(message, /creators\.share/);
    await refused(employee, { path: '/no/such/file' }, 422, 'policy_creators_share');
    // Sends keep their own code.
    const send = await createSendLink(gw.baseUrl, await gw.token('emp'), [{ name: 'x.txt', content: 'x' }]);
    assert.equal(send.status, 201);
  });

  it('a manager with no share root covering the path gets 403 share_path_forbidden, also for a path that does not exist', async () => {
    await refused(manager, { path: '/docs/a.txt' }, 403, 'share_path_forbidden');
    await refused(manager, { path: '/nothing/here' }, 403, 'share_path_forbidden');
  });

  it('a path that does not exist is 404; a malformed one is 400 naming the path', async () => {
    await refused(admin, { path: '/docs/missing.txt' }, 404, 'share_path_not_found');
    await refused(admin, { path: '/docs-priv' }, 404, 'share_path_not_found');
    for (const path of ['/docs/../docs-private/b.txt', 'docs\\a.txt', '//docs', '/docs/%2e%2e/x', 'a\u0000b']) {
      const { message } = await refused(admin, { path }, 400, /^invalid_/);
      assert.match(message, /path/, path);
    }
    // Schema first: an employee's malformed path is a 400, not the policy's 422.
    await refused(employee, { path: '/docs/../x' }, 400, /^invalid_/);
  });

  it('the send-copies folder is never shareable, nor a folder holding it: 403 share_path_forbidden', async () => {
    const send = await createSendLink(gw.baseUrl, admin, [{ name: 'copy.txt', content: 'a send copy' }]);
    assert.equal(send.status, 201);
    await refused(admin, { path: '/send' }, 403, 'share_path_forbidden');
    await refused(admin, { path: `/send/${send.body.id}` }, 403, 'share_path_forbidden');
    await refused(admin, { path: '/' }, 403, 'share_path_forbidden');
  });

  it('bad options are 400 naming the field; an unknown connection is 404', async () => {
    const missing = await refused(admin, { path: '/docs/a.txt', connectionId: undefined }, 400, 'invalid_link_options');
    assert.match(missing.message, /connectionId/);
    await refused(admin, { path: '/docs/a.txt', connectionId: 'nope' }, 404, 'storage_connection_not_found');
    const extra = await refused(admin, { path: '/docs/a.txt', colour: 'red' }, 400, 'invalid_link_options');
    assert.match(extra.message, /colour/);
    const pin = await refused(admin, { path: '/docs', pinContent: true }, 400, 'invalid_link_options');
    assert.match(pin.message, /pinContent/);
    const rcpt = await refused(admin, { path: '/docs/a.txt', recipients: ['not-an-email'] }, 400, 'invalid_link_options');
    assert.match(rcpt.message, /recipients/);
    await refused(admin, { path: '/docs/a.txt', expiresAt: '2999-01-01T00:00:00Z' }, 422, 'policy_expiry_too_long');
  });
});
