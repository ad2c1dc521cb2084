import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CookieJar, createSendLink, eventually, SmtpSink, TestGateway } from '@mft/testing';

interface Activity {
  type: string;
  at: string;
  grantId: string | null;
  ip: string | null;
  email: string | null;
  detail: string;
}

/** GET /api/v1/links/:id/activity: a sender reads, recipient by recipient, what the audit log says happened. */
describe('the activity of a link', () => {
  let sink: SmtpSink;
  let gw: TestGateway;
  const tokens: Record<'ann' | 'bob', string> = { ann: '', bob: '' };

  before(async () => {
    sink = await SmtpSink.start();
    gw = await TestGateway.start({ env: { SMTP_URL: sink.url, MAIL_POLL_SECONDS: '0.3', TRUSTED_PROXIES: '127.0.0.1' } });
    await gw.addUser({ user: 'ann', roles: ['employee'], email: 'ann@corp.example' });
    await gw.addUser({ user: 'bob', roles: ['employee'], email: 'bob@corp.example' });
    tokens.ann = await gw.token('ann');
    tokens.bob = await gw.token('bob');
  });
  after(async () => {
    await gw?.stop();
    await sink?.stop();
  });

  const activityOf = (id: string, token: string | null): Promise<Response> =>
    fetch(`${gw.baseUrl}/api/v1/links/${id}/activity`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('the owner sees, oldest first, the delivered invitation, the opened page, the verified email and the download, with the IP and the verified email', async () => {
    const recipient = 'hana@partner.example';
    const created = await createSendLink(gw.baseUrl, tokens.ann, [{ name: 'contract.pdf', content: 'signed contract' }], {
      recipients: `${recipient},omar@partner.example`,
      requireEmailVerification: 'true',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { id } = created.body;
    const grant = created.body.grants.find((g) => g.recipient === recipient)!;
    await sink.latest(recipient, /sent you a file/);

    const ip = '198.51.100.23';
    const jar = new CookieJar();
    const json = (url: string, init: RequestInit = {}): Promise<Response> =>
      jar.fetch(url, { ...init, headers: { accept: 'application/json', 'content-type': 'application/json', 'x-forwarded-for': ip } });
    await (await json(grant.url)).arrayBuffer();
    assert.equal((await json(`${grant.url}/email`, { method: 'POST', body: JSON.stringify({ email: recipient }) })).status, 202);
    const code = /^\s+(\d{6})\s*$/m.exec((await sink.latest(recipient, /Your code to open the files/)).text)![1]!;
    assert.equal((await json(`${grant.url}/email/code`, { method: 'POST', body: JSON.stringify({ code }) })).status, 204);
    const landing = (await (await json(grant.url)).json()) as { files: Array<{ id: string }> };
    const file = await json(`${grant.url}/files/${landing.files[0]!.id}`);
    assert.equal(await file.text(), 'signed contract');

    // The gateway records the completed download once the response has ended, just after the client has its last byte.
    const res = await eventually(
      'both invitations delivered and the download recorded',
      async () => {
        const r = await activityOf(id, tokens.ann);
        return { status: r.status, body: (await r.json()) as Activity[] };
      },
      (r) => r.body.filter((e) => e.type === 'mail.sent').length === 2 && r.body.some((e) => e.type === 'download.completed' && e.detail.startsWith('Download complete')),
    );
    assert.equal(res.status, 200);
    const mine = res.body.filter((e) => e.grantId === grant.id);
    const types = mine.map((e) => e.type);
    for (const t of ['mail.sent', 'page.opened', 'email.verified', 'download.started', 'download.completed']) {
      assert.ok(types.includes(t), `${t} in ${types.join(', ')}`);
    }
    assert.ok(types.indexOf('page.opened') < types.indexOf('email.verified'));
    assert.ok(types.indexOf('email.verified') < types.indexOf('download.started'));
    assert.ok(types.indexOf('download.started') < types.indexOf('download.completed'));
    const times = res.body.map((e) => Date.parse(e.at));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'oldest first');

    const sent = mine.find((e) => e.type === 'mail.sent')!;
    assert.equal(sent.detail, `Invitation to ${recipient} accepted by the mail server.`);
    assert.equal(sent.ip, null, 'the gateway sent it, not the recipient');
    const opened = mine.find((e) => e.type === 'page.opened')!;
    assert.deepEqual([opened.ip, opened.email, opened.detail], [ip, null, 'Opened the page for the first time.']);
    const verified = mine.find((e) => e.type === 'email.verified')!;
    assert.deepEqual([verified.ip, verified.email], [ip, recipient]);
    const started = mine.find((e) => e.type === 'download.started')!;
    assert.deepEqual([started.ip, started.email, started.detail], [ip, recipient, 'Started downloading contract.pdf.']);
    const done = mine.filter((e) => e.type === 'download.completed');
    assert.ok(done.every((e) => e.ip === ip && e.email === recipient));
    assert.ok(done.some((e) => e.detail === 'Download complete: every file delivered (download 1).'), done.map((e) => e.detail).join(' | '));

    const other = res.body.filter((e) => e.grantId !== grant.id && e.grantId !== null);
    assert.deepEqual(other.map((e) => e.type), ['mail.sent'], "the other recipient's invitation only");
    assert.ok(!res.body.some((e) => /code/i.test(e.detail)), 'the verification code email is not an event of the timeline');
    assert.deepEqual(res.body[0]!.type, 'link.created');
  });

  it('another employee gets 404, as for the link itself; no token is 401; a malformed id is 400', async () => {
    const created = await createSendLink(gw.baseUrl, tokens.ann, [{ name: 'private.txt', content: 'x' }], { recipients: 'zoe@partner.example' });
    const byBob = await activityOf(created.body.id, tokens.bob);
    assert.equal(byBob.status, 404);
    const body = (await byBob.json()) as { code: string; message: string };
    assert.equal(body.code, 'link_not_found');
    assert.equal(body.message, 'There is no link with this id that you can see.');
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/links/${created.body.id}`, { headers: { authorization: `Bearer ${tokens.bob}` } })).status, 404);
    assert.equal((await activityOf(created.body.id, null)).status, 401);
    assert.equal((await activityOf('not-a-link', tokens.ann)).status, 400);
  });
});
