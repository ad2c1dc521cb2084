import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CookieJar, createSendLink, eventually, formField, SmtpSink, TestGateway } from '@mft/testing';

const CODE_MAIL = /Your code to open the files/;

interface Landing {
  locked: string[];
  files: Array<{ id: string; name: string }>;
  emailVerification?: { step: string; codeSentTo: string | null };
}

/**
 * Email-verified recipients against a real SMTP server: every code is read from the email the
 * gateway sent. Each test acts from its own client address (X-Forwarded-For from a trusted
 * loopback proxy), so per-address limits of one test do not spill into the next.
 */
describe('email-verified recipients', () => {
  let sink: SmtpSink;
  let gw: TestGateway;
  let token: string;
  let nextClient = 10;

  before(async () => {
    sink = await SmtpSink.start();
    gw = await TestGateway.start({ env: { SMTP_URL: sink.url, MAIL_POLL_SECONDS: '0.3', TRUSTED_PROXIES: '127.0.0.1' } });
    token = await gw.token();
  });
  after(async () => {
    await gw?.stop();
    await sink?.stop();
  });

  /** A recipient's browser: its own cookie jar and client address. */
  function browser(): { jar: CookieJar; ip: string; json: (url: string, init?: RequestInit) => Promise<Response> } {
    const jar = new CookieJar();
    const ip = `198.51.100.${nextClient++}`;
    const json = (url: string, init: RequestInit = {}): Promise<Response> =>
      jar.fetch(url, { ...init, headers: { accept: 'application/json', 'content-type': 'application/json', 'x-forwarded-for': ip, ...(init.headers ?? {}) } });
    return { jar, ip, json };
  }

  async function verifiedLink(recipient: string | null, extra: Record<string, string> = {}): Promise<{ id: string; url: string }> {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'contract.pdf', content: 'signed contract' }], {
      requireEmailVerification: 'true',
      ...(recipient ? { recipients: recipient } : {}),
      ...extra,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { id: created.body.id, url: created.body.grants[0]!.url };
  }

  const codeOf = (text: string): string => /^\s+(\d{6})\s*$/m.exec(text)![1]!;
  const post = (b: ReturnType<typeof browser>, url: string, body: Record<string, string>): Promise<Response> =>
    b.json(url, { method: 'POST', body: JSON.stringify(body) });

  it('the full flow: the recipient email arrives with the right link, the page asks for an email, the code from the email unlocks the files, and the audit names the email', async () => {
    const recipient = 'hana@partner.example';
    const link = await verifiedLink(recipient);
    const invitation = await sink.latest(recipient, /sent you a file/);
    assert.ok(invitation.text.includes(link.url));
    const b = browser();

    let landing = (await (await b.json(link.url)).json()) as Landing;
    assert.deepEqual(landing.locked, ['email']);
    assert.deepEqual(landing.files, []);
    assert.equal(landing.emailVerification?.step, 'ask');
    const fileId = ((await (await fetch(`${gw.baseUrl}/api/v1/links/${link.id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { files: Array<{ id: string }> }).files[0]!.id;
    const refused = await b.json(`${link.url}/files/${fileId}`);
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { code: string }).code, 'email_verification_required');

    const asked = await post(b, `${link.url}/email`, { email: 'Hana@Partner.example' });
    assert.equal(asked.status, 202);
    const mail = await sink.latest(recipient, CODE_MAIL);
    const code = codeOf(mail.text);
    assert.ok(!mail.subject.includes(code), 'the code is not in the subject (subjects are logged and previewed)');

    landing = (await (await b.json(link.url)).json()) as Landing;
    assert.equal(landing.emailVerification?.step, 'code');
    const verified = await post(b, `${link.url}/email/code`, { code });
    assert.equal(verified.status, 204);
    landing = (await (await b.json(link.url)).json()) as Landing;
    assert.deepEqual(landing.locked, []);
    assert.equal(landing.files[0]!.name, 'contract.pdf');
    const file = await b.json(`${link.url}/files/${fileId}`);
    assert.equal(file.status, 200);
    assert.equal(await file.text(), 'signed contract');

    const events = (await (
      await eventually(
        'download audit',
        () => fetch(`${gw.baseUrl}/api/v1/audit/events?linkId=${link.id}&format=json`, { headers: { authorization: `Bearer ${token}` } }),
        (r) => r.status === 200,
      )
    ).json()) as Array<{ type: string; actor: string; ip: string }>;
    const after = events.slice(events.findIndex((e) => e.type === 'email.verified'));
    assert.ok(after.length > 1);
    for (const e of after.filter((x) => x.ip === b.ip)) {
      assert.equal(e.actor, `recipient:${recipient}`, `${e.type} carries the verified email`);
    }
    assert.ok(after.some((e) => e.type === 'download.started'));
  });

  it('an allowed and a not-allowed address get identical answers, and only the allowed one gets an email', async () => {
    const recipient = 'ivan@partner.example';
    const link = await verifiedLink(recipient);
    const answers: Array<{ status: number; body: string; type: string | null; step: string | undefined }> = [];
    for (const email of [recipient, 'mallory@evil.example']) {
      const b = browser();
      await b.json(link.url);
      const res = await post(b, `${link.url}/email`, { email });
      const landing = (await (await b.json(link.url)).json()) as Landing;
      answers.push({ status: res.status, body: await res.text(), type: res.headers.get('content-type'), step: landing.emailVerification?.step });
      assert.equal(landing.emailVerification?.codeSentTo, email, 'the page shows back the typed address either way');
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.equal(answers[0]!.status, 202);
    await sink.latest(recipient, CODE_MAIL);
    // The worker has sent the allowed address's code; nothing was or will be sent to the other.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(sink.to('mallory@evil.example').length, 0);

    // A guess at the code for the not-allowed address answers like any wrong code.
    const m = browser();
    await post(m, `${link.url}/email`, { email: 'mallory@evil.example' });
    const guess = await post(m, `${link.url}/email/code`, { code: '123456' });
    assert.equal(guess.status, 401);
    assert.equal(((await guess.json()) as { code: string }).code, 'email_code_incorrect');
  });

  it('five wrong codes lock the link for that browser session: even the right code, and new codes, are then refused', async () => {
    const recipient = 'judy@partner.example';
    const link = await verifiedLink(recipient);
    const b = browser();
    assert.equal((await post(b, `${link.url}/email`, { email: recipient })).status, 202);
    const code = codeOf((await sink.latest(recipient, CODE_MAIL)).text);
    const wrong = code === '000000' ? '000001' : '000000';
    const statuses: number[] = [];
    const left: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post(b, `${link.url}/email/code`, { code: wrong });
      statuses.push(res.status);
      left.push(((await res.json()) as { attemptsLeft?: number }).attemptsLeft ?? -1);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 429]);
    assert.deepEqual(left.slice(0, 4), [4, 3, 2, 1]);
    const right = await post(b, `${link.url}/email/code`, { code });
    assert.equal(right.status, 429);
    assert.equal(((await right.json()) as { code: string }).code, 'email_verification_locked');
    assert.equal((await post(b, `${link.url}/email`, { email: recipient })).status, 429);
    const page = await b.jar.fetch(link.url, { headers: { accept: 'text/html', 'x-forwarded-for': b.ip } });
    assert.match(await page.text(), /This link is locked in this browser/);

    // Another browser session is not locked out by this one.
    const other = browser();
    assert.equal((await post(other, `${link.url}/email`, { email: recipient })).status, 202);
  });

  it('a code works once, and only in the browser session it was sent to', async () => {
    const recipient = 'ken@partner.example';
    const link = await verifiedLink(recipient);
    const a = browser();
    const b = browser();
    assert.equal((await post(a, `${link.url}/email`, { email: recipient })).status, 202);
    const codeA = codeOf((await sink.latest(recipient, CODE_MAIL, 1)).text);

    const notAsked = await post(b, `${link.url}/email/code`, { code: codeA });
    assert.equal(notAsked.status, 401, 'a session that asked for no code cannot use another session’s');
    assert.equal((await post(b, `${link.url}/email`, { email: recipient })).status, 202);
    const codeB = codeOf((await sink.latest(recipient, CODE_MAIL, 2)).text);
    if (codeA !== codeB) {
      const crossed = await post(b, `${link.url}/email/code`, { code: codeA });
      assert.equal(crossed.status, 401, 'session B cannot use the code sent for session A');
    }
    assert.equal((await post(b, `${link.url}/email/code`, { code: codeB })).status, 204);

    assert.equal((await post(a, `${link.url}/email/code`, { code: codeA })).status, 204);
    const again = await post(a, `${link.url}/email/code`, { code: codeA });
    assert.equal(again.status, 401);
    assert.equal(((await again.json()) as { code: string }).code, 'email_code_used');
  });

  it('a new code replaces the previous one; code requests are limited per session', async () => {
    const recipient = 'lena@partner.example';
    const link = await verifiedLink(recipient);
    const b = browser();
    assert.equal((await post(b, `${link.url}/email`, { email: recipient })).status, 202);
    const first = codeOf((await sink.latest(recipient, CODE_MAIL, 1)).text);
    assert.equal((await post(b, `${link.url}/email`, { email: recipient })).status, 202);
    const second = codeOf((await sink.latest(recipient, CODE_MAIL, 2)).text);
    if (first !== second) {
      assert.equal((await post(b, `${link.url}/email/code`, { code: first })).status, 401, 'the older code no longer works');
    }
    assert.equal((await post(b, `${link.url}/email`, { email: 'someone@else.example' })).status, 202);
    const limited = await post(b, `${link.url}/email`, { email: recipient });
    assert.equal(limited.status, 429, 'the fourth request within ten minutes is refused, whatever the address');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
  });

  it('with a password as well, both are required, in either order', async () => {
    const recipient = 'max@partner.example';
    const link = await verifiedLink(recipient, { password: 'both factors needed' });
    const b = browser();
    let landing = (await (await b.json(link.url)).json()) as Landing;
    assert.deepEqual(landing.locked.sort(), ['email', 'password']);
    assert.equal((await post(b, `${link.url}/unlock`, { password: 'both factors needed' })).status, 204);
    landing = (await (await b.json(link.url)).json()) as Landing;
    assert.deepEqual(landing.locked, ['email']);
    assert.deepEqual(landing.files, []);
    assert.equal((await post(b, `${link.url}/email`, { email: recipient })).status, 202);
    const code = codeOf((await sink.latest(recipient, CODE_MAIL)).text);
    assert.equal((await post(b, `${link.url}/email/code`, { code })).status, 204);
    landing = (await (await b.json(link.url)).json()) as Landing;
    assert.deepEqual(landing.locked, []);
    assert.equal(landing.files.length, 1);

    // A script with the password header still needs the email step.
    const s = browser();
    const scripted = (await (await s.json(link.url, { headers: { 'x-link-password': 'both factors needed' } })).json()) as Landing;
    assert.deepEqual(scripted.locked, ['email']);
  });

  it('a link sent to nobody in particular lets any address verify, for the record', async () => {
    const link = await verifiedLink(null);
    const b = browser();
    assert.equal((await post(b, `${link.url}/email`, { email: 'walk-in@anywhere.example' })).status, 202);
    const code = codeOf((await sink.latest('walk-in@anywhere.example', CODE_MAIL)).text);
    assert.equal((await post(b, `${link.url}/email/code`, { code })).status, 204);
  });

  it('the HTML forms: email, then code, each a 303 back to the page; a wrong code is shown on the page', async () => {
    const recipient = 'nina@partner.example';
    const link = await verifiedLink(recipient);
    const jar = new CookieJar();
    const ip = `198.51.100.${nextClient++}`;
    const page = async (): Promise<string> => (await jar.fetch(link.url, { headers: { accept: 'text/html', 'x-forwarded-for': ip } })).text();
    const form = (path: string, fields: Record<string, string>): Promise<Response> =>
      jar.fetch(`${link.url}${path}`, {
        method: 'POST',
        // As the page's own form in a browser: same-origin, with Origin and Sec-Fetch-Site.
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'text/html',
          origin: new URL(link.url).origin,
          'sec-fetch-site': 'same-origin',
          'x-forwarded-for': ip,
        },
        body: new URLSearchParams(fields).toString(),
        redirect: 'manual',
      });
    let html = await page();
    assert.match(html, /Confirm your email address/);
    const csrf = formField(html, '_csrf');
    assert.equal((await form('/email', { _csrf: 'forged', email: recipient })).status, 403, 'the CSRF token is checked');
    const sent = await form('/email', { _csrf: csrf, email: recipient });
    assert.equal(sent.status, 303);
    html = await page();
    assert.match(html, /Enter the code from your email/);
    assert.ok(html.includes(recipient));
    const code = codeOf((await sink.latest(recipient, CODE_MAIL)).text);
    const bad = await form('/email/code', { _csrf: csrf, code: code === '111111' ? '222222' : '111111' });
    assert.equal(bad.status, 303);
    assert.match(bad.headers.get('location')!, /error=email_code_incorrect/);
    html = await (await jar.fetch(new URL(bad.headers.get('location')!, link.url).toString(), { headers: { accept: 'text/html', 'x-forwarded-for': ip } })).text();
    assert.match(html, /That code is not right/);
    assert.equal((await form('/email/code', { _csrf: csrf, code: `${code.slice(0, 3)} ${code.slice(3)}` })).status, 303);
    html = await page();
    assert.match(html, /Confirmed as <strong>nina@partner\.example<\/strong>/);
    assert.match(html, /contract\.pdf/);
  });

  it('a script may post form bodies (no browser headers) and gets 202 and 204; a cross-site browser post without the page token is refused and sends nothing', async () => {
    const recipient = 'olga@partner.example';
    const link = await verifiedLink(recipient);
    const jar = new CookieJar();
    const ip = `198.51.100.${nextClient++}`;
    const formPost = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> =>
      jar.fetch(`${link.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip, ...headers },
        body: new URLSearchParams(fields).toString(),
        redirect: 'manual',
      });

    const crossSite = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', accept: 'text/html' };
    await jar.fetch(link.url, { headers: { accept: 'text/html', 'x-forwarded-for': ip } });
    const forged = await formPost('/email', { email: recipient }, crossSite);
    assert.equal(forged.status, 403, 'a cross-site form post carries the cookie but not the token');
    assert.match(await forged.text(), /This form has expired/);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(sink.to(recipient).filter((m) => CODE_MAIL.test(m.subject)).length, 0, 'no code was sent for the forged post');

    const sent = await formPost('/email', { email: recipient });
    assert.equal(sent.status, 202);
    const code = codeOf((await sink.latest(recipient, CODE_MAIL)).text);
    assert.equal((await formPost('/email/code', { code }, crossSite)).status, 403);
    assert.equal((await formPost('/email/code', { code })).status, 204);
    const landing = await jar.fetch(link.url, { headers: { accept: 'application/json', 'x-forwarded-for': ip } });
    assert.deepEqual(((await landing.json()) as Landing).locked, []);
  });
});
