import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createSendLink, eventually, SmtpSink, TestGateway } from '@mft/testing';

const PASSWORD = 'correct horse battery';
const CODE_MAIL = /Your code to open the files/;

interface Problem {
  code: string;
  locked?: string[];
}

/**
 * The recipient session cookie (`mft_rs`) carries only ids the gateway issued, and a new id at
 * every password unlock and email verification: a value planted in a victim's browser before they
 * unlock gains the planter nothing. Each test acts from its own client address.
 */
describe('recipient session fixation', () => {
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

  const client = (): string => `198.51.100.${nextClient++}`;

  /** The `mft_rs` value a response set, or null when it set none. */
  const setSession = (res: Response): string | null => {
    const all = res.headers.getSetCookie().filter((c) => c.startsWith('mft_rs='));
    assert.ok(all.length <= 1, `one mft_rs cookie at most: ${all.join(' | ')}`);
    return all[0] ? all[0].split(';')[0]!.slice('mft_rs='.length) : null;
  };

  async function send(fields: Record<string, string>, content: string | Buffer = 'the plans'): Promise<{ id: string; url: string; fileId: string }> {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'plans.txt', content }], fields);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const link = (await (await fetch(`${gw.baseUrl}/api/v1/links/${created.body.id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      files: Array<{ id: string }>;
    };
    return { id: created.body.id, url: created.body.grants[0]!.url, fileId: link.files[0]!.id };
  }

  const get = (url: string, ip: string, session?: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(url, { headers: { accept: 'application/json', 'x-forwarded-for': ip, ...(session ? { cookie: `mft_rs=${session}` } : {}), ...headers } });
  const post = (url: string, ip: string, body: Record<string, string>, session?: string): Promise<Response> =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-forwarded-for': ip, ...(session ? { cookie: `mft_rs=${session}` } : {}) },
      body: JSON.stringify(body),
    });

  /** A session the gateway issued, from a first visit. */
  async function issued(url: string, ip: string): Promise<string> {
    const res = await get(url, ip);
    assert.equal(res.status, 200);
    const s = setSession(res);
    assert.ok(s, 'a first visit gets a session cookie');
    return s;
  }

  /** The grant's completed downloads, once the delivery that just ended is recorded. */
  async function downloads(linkId: string): Promise<number> {
    const probe = async (): Promise<number> =>
      ((await (await fetch(`${gw.baseUrl}/api/v1/links/${linkId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { grants: Array<{ downloads: number }> })
        .grants[0]!.downloads;
    try {
      return await eventually('the download is counted', probe, (n) => n > 0, 3000);
    } catch {
      return probe();
    }
  }

  /** Waits until `n` responses of the link have been recorded as delivered. */
  async function recorded(linkId: string, n: number): Promise<void> {
    await eventually(
      'the delivery is recorded',
      async () =>
        ((await (await fetch(`${gw.baseUrl}/api/v1/audit/events?linkId=${linkId}&type=download.completed`, { headers: { authorization: `Bearer ${token}` } })).json()) as unknown[])
          .length,
      (count) => count >= n,
      5000,
    );
  }

  async function locked(url: string, ip: string, session: string): Promise<string[]> {
    const res = await get(url, ip, session);
    assert.equal(res.status, 200);
    return ((await res.json()) as { locked: string[] }).locked;
  }

  it('a well-formed cookie value the client chose is ignored: the gateway answers with a new session of its own', async () => {
    const ip = client();
    const { url } = await send({ password: PASSWORD });
    const chosen = randomBytes(32).toString('base64url');
    assert.match(chosen, /^[A-Za-z0-9_-]{43}$/);
    const res = await get(url, ip, chosen);
    assert.equal(res.status, 200);
    const fresh = setSession(res);
    assert.ok(fresh, 'a chosen value gets a fresh cookie');
    assert.ok(!fresh.includes(chosen), 'the fresh cookie does not reuse the chosen value');
    // A server-issued session is kept as it is.
    const again = await get(url, ip, fresh);
    assert.equal(again.status, 200);
    assert.equal(setSession(again), null, 'an issued session is not replaced on a plain view');
    // A tampered signature is as good as no cookie.
    const tampered = `${fresh.slice(0, -3)}${fresh.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    const t = await get(url, ip, tampered);
    assert.ok(setSession(t), 'a tampered cookie is replaced');
  });

  it('a session planted in the victim’s browser is not unlocked when the victim unlocks: the unlock issues a new id', async () => {
    const attackerIp = client();
    const victimIp = client();
    const { url, fileId } = await send({ password: PASSWORD });
    const planted = await issued(url, attackerIp);

    const unlock = await post(`${url}/unlock`, victimIp, { password: PASSWORD }, planted);
    assert.equal(unlock.status, 204);
    const victim = setSession(unlock);
    assert.ok(victim, 'the unlock answer sets a new session');
    assert.notEqual(victim, planted);

    assert.deepEqual(await locked(url, attackerIp, planted), ['password'], 'the planted id is still locked');
    const stolen = await get(`${url}/files/${fileId}`, attackerIp, planted);
    assert.equal(stolen.status, 401);
    assert.equal(((await stolen.json()) as Problem).code, 'link_password_required');

    assert.deepEqual(await locked(url, victimIp, victim), [], 'the new id is unlocked');
    const mine = await get(`${url}/files/${fileId}`, victimIp, victim);
    assert.equal(mine.status, 200);
    assert.equal(await mine.text(), 'the plans');
  });

  it('the page form after an unlock carries a new CSRF token, and the old one is refused for the new session', async () => {
    const ip = client();
    const { url } = await send({ password: PASSWORD });
    const first = await fetch(url, { headers: { accept: 'text/html', 'x-forwarded-for': ip } });
    const before = setSession(first)!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await first.text())![1]!;
    const form = (session: string, fields: Record<string, string>): Promise<Response> =>
      fetch(`${url}/unlock`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'text/html',
          origin: gw.baseUrl,
          'sec-fetch-site': 'same-origin',
          'x-forwarded-for': ip,
          cookie: `mft_rs=${session}`,
        },
        body: new URLSearchParams(fields).toString(),
      });
    const ok = await form(before, { _csrf: csrf, password: PASSWORD });
    assert.equal(ok.status, 303);
    const after = setSession(ok);
    assert.ok(after && after !== before, 'the form unlock sets a new session');
    const page = await (await fetch(url, { headers: { accept: 'text/html', 'x-forwarded-for': ip, cookie: `mft_rs=${after}` } })).text();
    assert.match(page, /plans\.txt/, 'the new session sees the files');
    const stale = await form(after, { _csrf: csrf, password: PASSWORD });
    assert.equal(stale.status, 403, 'the token of the old session does not fit the new one');
  });

  it('email verification issues a new id; the old id is no longer verified', async () => {
    const ip = client();
    const recipient = 'fixation@partner.example';
    const { url, fileId } = await send({ requireEmailVerification: 'true', recipients: recipient });
    const s0 = await issued(url, ip);
    assert.equal((await post(`${url}/email`, ip, { email: recipient }, s0)).status, 202);
    const code = /^\s+(\d{6})\s*$/m.exec((await sink.latest(recipient, CODE_MAIL)).text)![1]!;
    const verified = await post(`${url}/email/code`, ip, { code }, s0);
    assert.equal(verified.status, 204);
    const s1 = setSession(verified);
    assert.ok(s1 && s1 !== s0, 'the verification answer sets a new session');

    assert.deepEqual(await locked(url, ip, s1), []);
    assert.deepEqual(await locked(url, ip, s0), ['email'], 'the old id has lost the verification');
    const old = await get(`${url}/files/${fileId}`, ip, s0);
    assert.equal(old.status, 401);
    assert.equal(((await old.json()) as Problem).code, 'email_verification_required');
    const mine = await get(`${url}/files/${fileId}`, ip, s1);
    assert.equal(mine.status, 200);
  });

  it('a code asked for before the password unlock still works after it, and both proofs end up in the last id', async () => {
    const ip = client();
    const recipient = 'both@partner.example';
    const { url } = await send({ password: PASSWORD, requireEmailVerification: 'true', recipients: recipient });
    const s0 = await issued(url, ip);
    assert.equal((await post(`${url}/email`, ip, { email: recipient }, s0)).status, 202);
    const unlocked = await post(`${url}/unlock`, ip, { password: PASSWORD }, s0);
    assert.equal(unlocked.status, 204);
    const s1 = setSession(unlocked)!;
    assert.deepEqual(await locked(url, ip, s1), ['email']);
    const landing = (await (await get(url, ip, s1)).json()) as { emailVerification?: { step: string; codeSentTo: string | null } };
    assert.deepEqual(landing.emailVerification, { step: 'code', codeSentTo: recipient }, 'the pending code moved with the session');
    const code = /^\s+(\d{6})\s*$/m.exec((await sink.latest(recipient, CODE_MAIL)).text)![1]!;
    const verified = await post(`${url}/email/code`, ip, { code }, s1);
    assert.equal(verified.status, 204);
    const s2 = setSession(verified)!;
    assert.deepEqual(await locked(url, ip, s2), []);
    assert.deepEqual(await locked(url, ip, s1), ['password', 'email']);
    assert.deepEqual(await locked(url, ip, s0), ['password', 'email']);
  });

  it('a claim and the bytes delivered so far move with the session: the new id finishes the one-time download, the old id is refused', async () => {
    const ip = client();
    const content = randomBytes(4000);
    const oneTime = await send({ oneTime: 'true' }, content);
    const other = await send({ password: PASSWORD });
    const s0 = await issued(oneTime.url, ip);
    const head = await get(`${oneTime.url}/files/${oneTime.fileId}`, ip, s0, { range: 'bytes=0-1999' });
    assert.equal(head.status, 206);
    assert.ok(Buffer.from(await head.arrayBuffer()).equals(content.subarray(0, 2000)));
    await recorded(oneTime.id, 1);

    const unlocked = await post(`${other.url}/unlock`, ip, { password: PASSWORD }, s0);
    assert.equal(unlocked.status, 204);
    const s1 = setSession(unlocked)!;

    const refused = await get(`${oneTime.url}/files/${oneTime.fileId}`, ip, s0, { range: 'bytes=2000-' });
    assert.equal(refused.status, 409, 'the old id no longer holds the claim');
    assert.equal(((await refused.json()) as Problem).code, 'grant_claimed');
    const rest = await get(`${oneTime.url}/files/${oneTime.fileId}`, ip, s1, { range: 'bytes=2000-' });
    assert.equal(rest.status, 206);
    assert.ok(Buffer.from(await rest.arrayBuffer()).equals(content.subarray(2000)));
    assert.equal(await downloads(oneTime.id), 1, 'the two halves, before and after the rotation, make one complete download');
    const gone = await get(oneTime.url, ip, s1);
    assert.equal(gone.status, 410);
  });

  it('the bytes an unlimited link delivered before the rotation count towards the download after it', async () => {
    const ip = client();
    const content = randomBytes(3000);
    const open = await send({}, content);
    const other = await send({ password: PASSWORD });
    const s0 = await issued(open.url, ip);
    const first = await get(`${open.url}/files/${open.fileId}`, ip, s0, { range: 'bytes=0-999' });
    assert.equal(first.status, 206);
    await first.arrayBuffer();
    await recorded(open.id, 1);
    const s1 = setSession(await post(`${other.url}/unlock`, ip, { password: PASSWORD }, s0))!;
    const rest = await get(`${open.url}/files/${open.fileId}`, ip, s1, { range: 'bytes=1000-' });
    assert.equal(rest.status, 206);
    await rest.arrayBuffer();
    assert.equal(await downloads(open.id), 1);
  });
});
