import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LinkView } from '@mft/links';
import { createSendLink, eventually, rawRequest, selfSignedCertificate, SmtpSink, TestGateway } from '@mft/testing';

const SENDER = 'alice';
const SENDER_EMAIL = 'alice@corp.example';
const FAST_MAIL = { MAIL_POLL_SECONDS: '0.3', MAIL_RETRY_BASE_SECONDS: '0.3', MAIL_RETRY_MAX_SECONDS: '1', JOBS_INTERVAL_SECONDS: '0.5' };

async function senderToken(gw: TestGateway): Promise<string> {
  await gw.addUser({ user: SENDER, roles: ['employee'], email: SENDER_EMAIL });
  return gw.token(SENDER);
}

/** A gateway that mails through `sink`, with its sender's token; the gateway and the sink are stopped when `run` ends. */
async function withMailGateway(sink: SmtpSink, run: (gw: TestGateway, token: string) => Promise<void>, env: Record<string, string> = {}): Promise<void> {
  const gw = await TestGateway.start({ env: { SMTP_URL: sink.url, ...FAST_MAIL, ...env } });
  try {
    await run(gw, await senderToken(gw));
  } finally {
    await gw.stop();
    await sink.stop();
  }
}

function resendInvitation(gw: TestGateway, token: string, linkId: string, grantId: string): Promise<Response> {
  return fetch(`${gw.baseUrl}/api/v1/links/${linkId}/grants/${grantId}/resend`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
}

async function linkView(gw: TestGateway, token: string, id: string): Promise<LinkView> {
  const res = await fetch(`${gw.baseUrl}/api/v1/links/${id}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  return (await res.json()) as LinkView;
}

describe('link emails: invitations, delivery tracking and sender notifications (real SMTP server)', () => {
  let sink: SmtpSink;
  let gw: TestGateway;
  let token: string;

  before(async () => {
    sink = await SmtpSink.start();
    gw = await TestGateway.start({ env: { SMTP_URL: sink.url, MAIL_FROM: 'Files <files@corp.example>', ...FAST_MAIL } });
    token = await senderToken(gw);
  });
  after(async () => {
    await gw?.stop();
    await sink?.stop();
  });

  it('each recipient gets an email with their own link, the sender, the message and what they will need; template syntax in data stays literal', async () => {
    const message = 'Quarterly figures {{constructor.constructor}} <b>draft</b> & notes';
    const created = await createSendLink(gw.baseUrl, token, [{ name: '{{constructor.constructor}}.txt', content: 'numbers' }], {
      recipients: 'bob@partner.example, carol@partner.example',
      message,
      password: 'a long enough password',
      requireEmailVerification: 'true',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    for (const grant of created.body.grants) {
      const mail = await sink.latest(grant.recipient!, /alice sent you a file/);
      assert.equal(mail.raw.from?.value[0]?.address, 'files@corp.example');
      assert.equal(mail.raw.from?.value[0]?.name, 'Files');
      assert.ok(mail.text.includes(grant.url), 'the email carries the recipient’s own link');
      const other = created.body.grants.find((g) => g.id !== grant.id)!;
      assert.ok(!mail.text.includes(other.url) && !mail.html.includes(other.url), 'and no other recipient’s link');
      assert.ok(mail.text.includes(message), 'the message appears literally in the text part');
      assert.ok(mail.text.includes('{{constructor.constructor}}.txt'), 'the file name appears literally');
      assert.ok(mail.html.includes('Quarterly figures {{constructor.constructor}} &lt;b&gt;draft&lt;/b&gt; &amp; notes'), 'and HTML-escaped in the HTML part');
      assert.ok(!mail.html.includes('<b>draft</b>'));
      assert.match(mail.text, /password, which alice gives you separately/);
      assert.match(mail.text, /one-time code/);
      assert.match(mail.text, /works until/);
      assert.match(mail.messageId, /^<[0-9a-f-]{36}@127\.0\.0\.1>$/);
    }
  });

  it('tracks delivery, the first real view and the download, and emails the sender when a download completes', async () => {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'report.pdf', content: 'the report' }], { recipients: 'dave@partner.example' });
    assert.equal(created.status, 201);
    const grant = created.body.grants[0]!;
    await sink.latest('dave@partner.example', /sent you a file/);
    let view = await eventually('deliveredAt', () => linkView(gw, token, created.body.id), (v) => v.grants[0]!.deliveredAt !== null);
    const delivered = view.grants[0]!;
    assert.equal(delivered.delivery.status, 'sent');
    assert.equal(delivered.status, 'sent');
    assert.equal(delivered.openedAt, null);

    // A HEAD and a prefetch (what mail scanners do) are not views.
    await rawRequest(grant.url, { method: 'HEAD' });
    await rawRequest(grant.url, { headers: { 'sec-purpose': 'prefetch' } });
    view = await linkView(gw, token, created.body.id);
    assert.equal(view.grants[0]!.openedAt, null);

    const page = await rawRequest(grant.url, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    view = await linkView(gw, token, created.body.id);
    assert.notEqual(view.grants[0]!.openedAt, null);
    assert.equal(view.grants[0]!.status, 'opened');
    assert.ok(Date.parse(view.grants[0]!.openedAt!) >= Date.parse(delivered.deliveredAt!));

    const file = await rawRequest(`${grant.url}/files/${view.files[0]!.id}`);
    assert.equal(file.status, 200);
    assert.equal(file.body.toString(), 'the report');
    // The download is recorded once the response has finished, just after the client has the bytes.
    view = await eventually('the download in tracking', () => linkView(gw, token, created.body.id), (v) => v.grants[0]!.downloads === 1);
    assert.notEqual(view.grants[0]!.downloadedAt, null);
    assert.equal(view.grants[0]!.status, 'downloaded');

    const notice = await sink.latest(SENDER_EMAIL, /downloaded report\.pdf/);
    assert.match(notice.subject, /Someone using the link sent to dave@partner\.example downloaded report\.pdf/);
    assert.ok(notice.text.includes(created.body.id));
  });

  it('sends nothing to recipients when notify is off, and no download notice when notifyOnDownload is off', async () => {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'quiet.txt', content: 'shh' }], {
      recipients: 'erin@partner.example',
      notify: 'false',
      notifyOnDownload: 'false',
    });
    assert.equal(created.status, 201);
    const view = await linkView(gw, token, created.body.id);
    assert.equal(view.grants[0]!.delivery.status, null);
    assert.equal(view.grants[0]!.status, 'sent');
    const before = sink.to(SENDER_EMAIL).length;
    const file = await rawRequest(`${created.body.grants[0]!.url}/files/${view.files[0]!.id}`);
    assert.equal(file.status, 200);
    await eventually('the download in tracking', () => linkView(gw, token, created.body.id), (v) => v.grants[0]!.downloads === 1);
    // Another link's notice shows the worker is running; this one's never comes.
    const other = await createSendLink(gw.baseUrl, token, [{ name: 'loud.txt', content: 'hi' }], { recipients: 'erin@partner.example' });
    await sink.latest('erin@partner.example', /sent you a file/);
    const otherView = await linkView(gw, token, other.body.id);
    await rawRequest(`${other.body.grants[0]!.url}/files/${otherView.files[0]!.id}`);
    await sink.latest(SENDER_EMAIL, /downloaded loud\.txt/);
    assert.equal(sink.to('erin@partner.example').length, 1, `only the link with notify on emailed erin: ${JSON.stringify(sink.to('erin@partner.example').map((m) => [m.subject, m.messageId, m.text.slice(0, 300)]))}`);
    assert.equal(sink.to(SENDER_EMAIL).length, before + 1);
    assert.ok(!sink.to(SENDER_EMAIL).some((m) => /quiet\.txt/.test(m.subject)));
  });

  it('emails the sender once when a link expires without a download', async () => {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'unread.txt', content: 'never read' }], {
      recipients: 'frank@partner.example',
      expiresAt: new Date(Date.now() + 2_000).toISOString(),
    });
    assert.equal(created.status, 201);
    const notice = await sink.latest(SENDER_EMAIL, /expired without being downloaded/, 1, 20_000);
    assert.ok(notice.text.includes(created.body.id));
    assert.ok(notice.text.includes('frank@partner.example'));
    assert.ok(notice.text.includes('unread.txt'));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(sink.to(SENDER_EMAIL).filter((m) => m.text.includes(created.body.id)).length, 1);
  });

  it('exposes the queue and the send attempts as Prometheus metrics', async () => {
    const text = await (await fetch(gw.metricsUrl)).text();
    const sent = /^mft_mail_queue_messages\{status="sent"\} (\d+)$/m.exec(text);
    assert.ok(sent && Number(sent[1]) >= 3, text.split('\n').filter((l) => l.includes('mft_mail')).join('\n'));
    assert.match(text, /^mft_mail_queue_messages\{status="queued"\} 0$/m);
    assert.match(text, /^mft_mail_attempts_total\{outcome="sent"\} [1-9]\d*$/m);
  });

  const resend = (linkId: string, grantId: string, bearer = token): Promise<Response> => resendInvitation(gw, bearer, linkId, grantId);

  it('a sender can send a recipient a new invitation: a new address by email, the old one stops working at once, delivery tracking starts over, audited, and limited', async () => {
    const recipient = 'elsa@partner.example';
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'plan.pdf', content: 'the plan' }], { recipients: recipient, password: 'a long enough password' });
    assert.equal(created.status, 201);
    const grant = created.body.grants[0]!;
    await sink.latest(recipient, /sent you a file/);
    const first = await eventually('delivered', () => linkView(gw, token, created.body.id), (v) => v.grants[0]!.deliveredAt !== null);
    const landing = async (url: string): Promise<{ status: number; locked?: string[] }> => {
      const r = await rawRequest(url, { headers: { accept: 'application/json' } });
      return { status: r.status, locked: (JSON.parse(r.body.toString()) as { locked?: string[] }).locked };
    };
    assert.deepEqual(await landing(grant.url), { status: 200, locked: ['password'] }, 'the first address works');

    const res = await resend(created.body.id, grant.id);
    const body = (await res.json()) as { id: string; recipient: string; url: string };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.id, grant.id);
    assert.equal(body.recipient, recipient);
    assert.notEqual(body.url, grant.url);
    const mail = await sink.latest(recipient, /sent you a file/, 2);
    assert.ok(mail.text.includes(body.url), 'the new email carries the new address');
    assert.ok(!mail.text.includes(grant.url));
    assert.match(mail.text, /password, which alice gives you separately/, 'and still says what is needed');

    assert.equal((await landing(grant.url)).status, 404, 'the old address no longer opens anything');
    assert.deepEqual(await landing(body.url), { status: 200, locked: ['password'] }, 'the new one opens the same link');
    const again = await eventually(
      'delivered again',
      () => linkView(gw, token, created.body.id),
      (v) => v.grants[0]!.deliveredAt !== null && v.grants[0]!.deliveredAt! > first.grants[0]!.deliveredAt!,
    );
    assert.equal(again.grants[0]!.delivery.status, 'sent');
    assert.equal(again.grants[0]!.status, 'opened', 'what the recipient did before is kept: it is the same grant');

    const audit = await fetch(`${gw.baseUrl}/api/v1/audit/events?type=grant.invitation_resent&linkId=${created.body.id}`, { headers: { authorization: `Bearer ${await gw.token()}` } });
    const events = (await audit.json()) as Array<{ actor: string; grantId: string; details: { recipient: string } }>;
    assert.equal(events.length, 1);
    assert.equal(events[0]!.actor, `user:${SENDER}`);
    assert.equal(events[0]!.details.recipient, recipient);

    for (let i = 2; i <= 5; i++) {
      assert.equal((await resend(created.body.id, grant.id)).status, 200, `invitation ${i}`);
    }
    const limited = await resend(created.body.id, grant.id);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.match(((await limited.json()) as { message: string }).message, /elsa@partner\.example has been sent 5 new invitations recently/);
  });

  it('refuses a new invitation with a reason the sender can act on: no recipient (409), a download in progress (409), an ended grant (410), someone else\'s link (404)', async () => {
    const code = async (res: Response): Promise<[number, string]> => [res.status, ((await res.json()) as { code: string }).code];
    const anonymous = await createSendLink(gw.baseUrl, token, [{ name: 'a.txt', content: 'a' }], { notify: 'false' });
    assert.deepEqual(await code(await resend(anonymous.body.id, anonymous.body.grants[0]!.id)), [409, 'grant_has_no_recipient']);

    const once = await createSendLink(gw.baseUrl, token, [{ name: 'big.txt', content: 'x'.repeat(4096) }], { recipients: 'finn@partner.example', oneTime: 'true' });
    const g = once.body.grants[0]!;
    const fileId = (await linkView(gw, token, once.body.id)).files[0]!.id;
    const part = await rawRequest(`${g.url}/files/${fileId}`, { headers: { range: 'bytes=0-99' } });
    assert.equal(part.status, 206, 'a partial download holds the one-time claim');
    assert.deepEqual(await code(await resend(once.body.id, g.id)), [409, 'grant_in_use']);
    assert.equal((await rawRequest(g.url, { headers: { accept: 'application/json' } })).status, 200, 'the address in use still works');

    const revoked = await createSendLink(gw.baseUrl, token, [{ name: 'r.txt', content: 'r' }], { recipients: 'gus@partner.example' });
    const rg = revoked.body.grants[0]!;
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/links/${revoked.body.id}/grants/${rg.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status, 204);
    assert.deepEqual(await code(await resend(revoked.body.id, rg.id)), [410, 'grant_ended']);

    const someoneElse = await gw.token();
    await gw.addUser({ user: 'mallory', roles: ['employee'] });
    assert.deepEqual(await code(await resend(revoked.body.id, rg.id, await gw.token('mallory'))), [404, 'link_not_found']);
    assert.equal((await resend(revoked.body.id, rg.id, someoneElse)).status, 410, 'an admin reaches it');
    assert.deepEqual(await code(await resend(once.body.id, '00000000-0000-4000-8000-000000000000')), [404, 'grant_not_found']);
  });

  it('the 410 page of a used-up link says what happened and whom to ask', async () => {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'once.txt', content: 'one time' }], { oneTime: 'true' });
    const url = created.body.grants[0]!.url;
    const view = await linkView(gw, token, created.body.id);
    assert.equal((await rawRequest(`${url}/files/${view.files[0]!.id}`)).status, 200);
    const page = await eventually('410', () => rawRequest(url, { headers: { accept: 'text/html' } }), (r) => r.status === 410);
    const html = page.body.toString();
    assert.match(html, /already been used: its files were downloaded once/);
    assert.match(html, new RegExp(`ask alice \\(${SENDER_EMAIL.replace('.', '\\.')}\\), who sent you this link`));
    const json = await rawRequest(url, { headers: { accept: 'application/json' } });
    const body = JSON.parse(json.body.toString()) as { code: string; reason: string; sender: { name: string; email: string } };
    assert.equal(body.code, 'grant_consumed');
    assert.deepEqual(body.sender, { name: SENDER, email: SENDER_EMAIL });
  });
});

describe('the mail queue when the SMTP server is down', () => {
  it('the link is created, the email waits ("not delivered yet"), survives a crash of the gateway, and goes out exactly once when the server is back', async () => {
    const sink = await SmtpSink.down();
    await withMailGateway(sink, async (gw, token) => {
      const created = await createSendLink(gw.baseUrl, token, [{ name: 'late.txt', content: 'eventually' }], { recipients: 'gina@partner.example' });
      assert.equal(created.status, 201, 'the link does not wait for the mail server');
      const waiting = await eventually(
        'a failed attempt',
        () => linkView(gw, token, created.body.id),
        (v) => v.grants[0]!.delivery.error !== null,
      );
      const g = waiting.grants[0]!;
      assert.equal(g.status, 'queued');
      assert.equal(g.delivery.status, 'queued');
      assert.equal(g.deliveredAt, null);
      assert.match(g.delivery.text!, /^Not delivered yet; retrying/);
      assert.match(g.delivery.error!, /ECONNREFUSED|connect/i);

      await gw.kill('SIGKILL');
      await gw.launch();
      await sink.listen();
      const mail = await sink.latest('gina@partner.example', /sent you a file/, 1, 20_000);
      assert.ok(mail.text.includes('/l/'));
      const view = await eventually('deliveredAt', () => linkView(gw, token, created.body.id), (v) => v.grants[0]!.deliveredAt !== null);
      assert.equal(view.grants[0]!.delivery.status, 'sent');
      assert.equal(view.grants[0]!.delivery.error, null);
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(sink.to('gina@partner.example').length, 1, 'sent exactly once');
    });
  });

  it('a new invitation while the first still waits replaces it: once the server is back, only the new address arrives', async () => {
    const RETRY = 3;
    const sink = await SmtpSink.down();
    await withMailGateway(sink, async (gw, token) => {
      const created = await createSendLink(gw.baseUrl, token, [{ name: 'w.txt', content: 'waiting' }], { recipients: 'hugo@partner.example' });
      const grant = created.body.grants[0]!;
      await eventually('a failed attempt', () => linkView(gw, token, created.body.id), (v) => v.grants[0]!.delivery.error !== null);
      // The next attempt at the old message is due RETRY seconds after this failure: the new invitation
      // is asked for well before (an attempt already under way when it is asked for cannot be withdrawn).
      const failedAt = Date.now();
      const res = await resendInvitation(gw, token, created.body.id, grant.id);
      assert.equal(res.status, 200);
      const { url } = (await res.json()) as { url: string };
      const view = await linkView(gw, token, created.body.id);
      assert.equal(view.grants[0]!.delivery.status, 'queued');
      assert.equal(view.grants[0]!.deliveredAt, null);

      await sink.listen();
      const mail = await sink.latest('hugo@partner.example', /sent you a file/, 1, 20_000);
      assert.ok(mail.text.includes(url));
      await eventually('delivered', () => linkView(gw, token, created.body.id), (v) => v.grants[0]!.deliveredAt !== null);
      // Past the time the old message would have been sent again, had it not been withdrawn.
      await new Promise((r) => setTimeout(r, Math.max(2_000, failedAt + (RETRY + 2) * 1000 - Date.now())));
      assert.equal(sink.to('hugo@partner.example').length, 1, 'the invitation with the dead address was withdrawn, not sent');
    }, { MAIL_RETRY_BASE_SECONDS: String(RETRY), MAIL_RETRY_MAX_SECONDS: String(RETRY) });
  });

  it('an invitation replaced while a worker is sending it (the mail server stalls) is neither sent nor tried again; the queue shows it withdrawn', async () => {
    const sink = await SmtpSink.down();
    // A mail server that accepts the connection and says nothing, then hangs up: the worker holds
    // the first invitation as `sending` meanwhile.
    const held = new Set<Socket>();
    const stall = createServer((socket) => {
      held.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => held.delete(socket));
    });
    await new Promise<void>((resolve) => stall.listen(sink.port, '127.0.0.1', resolve));
    try {
      await withMailGateway(sink, async (gw, token) => {
        const admin = { authorization: `Bearer ${await gw.token()}` };
        const messages = async (status: string): Promise<Array<{ id: string; grantId: string; status: string; sentAt: string | null }>> => {
          const res = await fetch(`${gw.baseUrl}/api/v1/mail/messages?status=${status}`, { headers: admin });
          assert.equal(res.status, 200);
          return (await res.json()) as Array<{ id: string; grantId: string; status: string; sentAt: string | null }>;
        };
        const created = await createSendLink(gw.baseUrl, token, [{ name: 's.txt', content: 'stalled' }], { recipients: 'ivan@partner.example' });
        const grant = created.body.grants[0]!;
        const [first] = await eventually('the first invitation being sent', () => messages('sending'), (list) => list.some((m) => m.grantId === grant.id));
        const res = await resendInvitation(gw, token, created.body.id, grant.id);
        assert.equal(res.status, 200);
        const { url } = (await res.json()) as { url: string };
        const withdrawn = await messages('withdrawn');
        assert.deepEqual(withdrawn.map((m) => ({ id: m.id, sentAt: m.sentAt })), [{ id: first!.id, sentAt: null }]);

        // The stalled attempt fails; the server then works.
        for (const socket of held) {
          socket.destroy();
        }
        await new Promise<void>((resolve) => stall.close(() => resolve()));
        await sink.listen();
        const mail = await sink.latest('ivan@partner.example', /sent you a file/, 1, 20_000);
        assert.ok(mail.text.includes(url), 'the new invitation arrives');
        await eventually('delivered', () => linkView(gw, token, created.body.id), (v) => v.grants[0]!.deliveredAt !== null);
        // Well past the retry delay of the failed attempt, had it been queued again.
        await new Promise((r) => setTimeout(r, 3_000));
        assert.equal(sink.to('ivan@partner.example').length, 1, 'the withdrawn invitation was not sent');
        assert.deepEqual((await messages('withdrawn')).map((m) => m.id), [first!.id], 'and stays withdrawn');
      });
    } finally {
      for (const socket of held) {
        socket.destroy();
      }
      stall.close();
    }
  });

  it('a message the server refuses for good (5xx) is marked failed with the reason, not retried, and shown to administrators', async () => {
    const sink = await SmtpSink.start({ rejectRecipients: /@nowhere\.example$/ });
    await withMailGateway(sink, async (gw, token) => {
      const created = await createSendLink(gw.baseUrl, token, [{ name: 'x.txt', content: 'x' }], { recipients: 'ghost@nowhere.example' });
      const view = await eventually('failure', () => linkView(gw, token, created.body.id), (v) => v.grants[0]!.delivery.status === 'failed');
      assert.equal(view.grants[0]!.status, 'delivery_failed');
      assert.match(view.grants[0]!.delivery.error!, /550/);
      assert.match(view.grants[0]!.delivery.text!, /send a new invitation, or send the link to the recipient another way/);
      assert.equal(sink.rejected, 1);

      // Administrators see the queue: where each message stands and why, never its content.
      const admin = { authorization: `Bearer ${await gw.token()}` };
      const list = await fetch(`${gw.baseUrl}/api/v1/mail/messages?status=failed`, { headers: admin });
      assert.equal(list.status, 200);
      const failed = (await list.json()) as Array<Record<string, unknown>>;
      assert.equal(failed.length, 1);
      assert.equal(failed[0]!.to, 'ghost@nowhere.example');
      assert.equal(failed[0]!.template, 'recipient-invitation');
      assert.equal(failed[0]!.grantId, created.body.grants[0]!.id);
      assert.match(String(failed[0]!.lastError), /550/);
      assert.ok(!JSON.stringify(failed).includes('/l/'), 'no link address');
      assert.deepEqual(Object.keys(failed[0]!).sort(), ['attempts', 'createdAt', 'grantId', 'id', 'lastError', 'linkId', 'messageId', 'nextAttemptAt', 'sentAt', 'status', 'template', 'to']);
      assert.equal(((await (await fetch(`${gw.baseUrl}/api/v1/mail/messages?status=sent`, { headers: admin })).json()) as unknown[]).length, 0);
      assert.equal(((await (await fetch(`${gw.baseUrl}/api/v1/mail/messages?before=${String(failed[0]!.id)}`, { headers: admin })).json()) as unknown[]).length, 0, 'paging: nothing older');
      const bad = await fetch(`${gw.baseUrl}/api/v1/mail/messages?status=lost`, { headers: admin });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { message: string }).message, /status.*must be one of: queued, sending, sent, failed, suppressed, withdrawn/);
      assert.equal((await fetch(`${gw.baseUrl}/api/v1/mail/messages`, { headers: { authorization: `Bearer ${token}` } })).status, 403, 'senders do not see the queue');
    });
  });
});

describe('two gateway replicas sharing one mail queue', () => {
  it('every queued email is sent exactly once when the SMTP server comes back', async () => {
    const sink = await SmtpSink.down();
    const a = await TestGateway.start({ database: 'postgres', env: { SMTP_URL: sink.url, ...FAST_MAIL } });
    const b = await TestGateway.start({ share: a });
    try {
      const token = await senderToken(a);
      const recipients: string[] = [];
      for (let i = 0; i < 8; i++) {
        const pair = [`r${i}a@partner.example`, `r${i}b@partner.example`];
        recipients.push(...pair);
        const created = await createSendLink((i % 2 ? b : a).baseUrl, token, [{ name: `f${i}.txt`, content: `file ${i}` }], { recipients: pair.join(',') });
        assert.equal(created.status, 201);
      }
      await sink.listen();
      await sink.waitFor((m) => m.length >= recipients.length, 30_000, `${recipients.length} emails`);
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(sink.messages.length, recipients.length, 'no email sent twice');
      assert.equal(new Set(sink.messages.map((m) => m.messageId)).size, recipients.length);
      assert.deepEqual(sink.messages.flatMap((m) => m.to).sort(), recipients.sort());
    } finally {
      await b.stop();
      await a.stop();
      await sink.stop();
    }
  });
});

describe('mail over TLS', () => {
  const cert = selfSignedCertificate();
  let dir: string;
  let caFile: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mft-smtp-tls-'));
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, cert.cert);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function deliveryOf(sinkOptions: Parameters<typeof SmtpSink.start>[0], env: Record<string, string>): Promise<{ sink: SmtpSink; grant: LinkView['grants'][number] }> {
    const sink = await SmtpSink.start(sinkOptions);
    const gw = await TestGateway.start({ env: { SMTP_URL: sink.url, ...FAST_MAIL, MAIL_RETRY_BASE_SECONDS: '30', MAIL_RETRY_MAX_SECONDS: '60', ...env } });
    try {
      const token = await senderToken(gw);
      const created = await createSendLink(gw.baseUrl, token, [{ name: 'tls.txt', content: 'tls' }], { recipients: 'tina@partner.example' });
      const view = await eventually('a delivery outcome', () => linkView(gw, token, created.body.id), (v) => v.grants[0]!.deliveredAt !== null || v.grants[0]!.delivery.error !== null);
      return { sink, grant: view.grants[0]! };
    } finally {
      await gw.stop();
      await sink.stop();
    }
  }

  it('with SMTP_REQUIRE_TLS and the server’s CA (SMTP_TLS_CA_FILE), mail goes out encrypted with STARTTLS', async () => {
    const { sink, grant } = await deliveryOf({ tls: cert }, { SMTP_REQUIRE_TLS: 'true', SMTP_TLS_CA_FILE: caFile });
    assert.equal(grant.delivery.status, 'sent', JSON.stringify(grant));
    assert.equal(sink.messages.length, 1);
    assert.equal(sink.messages[0]!.encrypted, true);
  });

  it('a server certificate that nobody vouches for is refused: nothing is sent, and the sender sees why', async () => {
    const { sink, grant } = await deliveryOf({ tls: cert }, { SMTP_REQUIRE_TLS: 'true' });
    assert.equal(grant.delivery.status, 'queued');
    assert.match(grant.delivery.error!, /certificate/i);
    assert.equal(sink.messages.length, 0);
  });

  it('with SMTP_REQUIRE_TLS, a server that does not offer STARTTLS gets nothing in clear text', async () => {
    const { sink, grant } = await deliveryOf({}, { SMTP_REQUIRE_TLS: 'true' });
    assert.equal(grant.delivery.status, 'queued');
    assert.match(grant.delivery.error!, /STARTTLS/i);
    assert.equal(sink.messages.length, 0);
  });
});
