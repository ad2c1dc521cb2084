import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSendLink, SmtpSink, TestGateway } from '@mft/testing';
import { createShare, writeTree } from './share-fixtures.js';

describe('creating share links: refusals, in the contract order, and nothing created', () => {
  let gw: TestGateway;
  let admin: string;
  let employee: string;
  let manager: string;
  let sink: SmtpSink;

  before(async () => {
    sink = await SmtpSink.start();
    gw = await TestGateway.start({ env: { SMTP_URL: sink.url, MAIL_POLL_SECONDS: '0.3' } });
    admin = await gw.token();
    await gw.addUser({ user: 'emp', roles: ['employee'] });
    await gw.addUser({ user: 'mgr', roles: ['manager'] });
    employee = await gw.token('emp');
    manager = await gw.token('mgr');
    writeTree(gw, 'docs', { 'a.txt': 'a' });
    writeTree(gw, 'docs-private', { 'b.txt': 'b' });
  });
  after(async () => {
    await gw?.stop();
    await sink?.stop();
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

  it('the invitation to a folder share says it is a folder, in its subject, heading and list, never a file of 0 bytes', async () => {
    const res = await createShare(gw, admin, { path: '/docs', recipients: ['folder@example.com'] });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const mail = await sink.latest('folder@example.com', /sent you/);
    assert.match(mail.text, /^ {2}- docs \(a shared folder\)$/m);
    assert.ok(!/0 bytes/.test(mail.text) && !/0 bytes/.test(mail.html), 'no size of 0 bytes');
    assert.match(mail.html, /<li>docs <span[^>]*>\(a shared folder\)<\/span><\/li>/);
    assert.match(mail.subject, /sent you a folder$/);
    assert.match(mail.text, /sent you a folder through /);
    assert.match(mail.text, /^Folder:$/m);
    assert.match(mail.html, /shared a folder with you/);
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
  it('the policy size limits refuse a file share of a file above them as they refuse a send link (422, same rule and message); a folder share is limited when downloaded', async () => {
    const put = await fetch(`${gw.baseUrl}/api/v1/policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ files: { maxFileBytes: 10, maxTotalBytes: 25 } }),
    });
    assert.equal(put.status, 200, await put.text());
    writeTree(gw, 'sized', { 'eleven.txt': '0123456789A', 'ten.txt': '0123456789' });
    writeTree(gw, 'sized-folder', { 'a.txt': '0123456789', 'b.txt': '0123456789', 'sub/c.txt': '0123456789' });
    const sent = await createSendLink(gw.baseUrl, admin, [{ name: 'eleven.txt', content: Buffer.from('0123456789A') }]);
    assert.equal(sent.status, 422);
    const { message } = await refused(admin, { path: '/sized/eleven.txt' }, 422, 'policy_file_too_large');
    assert.equal(message, (sent.body as unknown as { message: string }).message);
    assert.equal(message, 'policy_file_too_large: maximum is 10 bytes per file; "eleven.txt" is larger.');
    assert.equal((await createShare(gw, admin, { path: '/sized/ten.txt' })).status, 201, 'at the limit');

    // A folder's total is not known when it is shared: its files and archives are limited when downloaded.
    const folder = await createShare(gw, admin, { path: '/sized-folder' });
    assert.equal(folder.status, 201);
    const url = folder.body.grants[0]!.url;
    const whole = await fetch(`${url}/archive`, { headers: { accept: 'application/json' } });
    assert.equal(whole.status, 413);
    assert.deepEqual(await whole.json(), {
      code: 'share_archive_too_large',
      message: "This folder holds 30 bytes, more than the 25 bytes that the sender's policy allows one link to deliver at once: download its subfolders or files one by one.",
      maxTotalBytes: 25,
      totalBytes: 30,
    });
    assert.equal((await fetch(`${url}/archive?path=/sub`)).status, 200, 'a subfolder within the limit');
    assert.equal((await fetch(`${url}/download?path=/a.txt`)).status, 200);
    writeTree(gw, 'sized-folder', { 'big.txt': '0123456789AB' });
    const big = await fetch(`${url}/download?path=/big.txt`, { headers: { accept: 'application/json' } });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { code: string }).code, 'share_file_too_large');
  });
});
