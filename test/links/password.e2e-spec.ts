import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createSendLink, rawRequest, sessionCookie, TestGateway, type RawResponse } from '@mft/testing';

const PER_LINK = 6;
const PER_IP = 12;
const PASSWORD = 'correct horse battery';

interface Problem {
  code: string;
  message: string;
  locked?: string[];
}

/**
 * Password-protected links. The gateway trusts X-Forwarded-For from loopback here so that every test
 * acts from its own client address: the per-address limit of one test does not spill into the next.
 */
describe('password-protected links: unlocking and rate limits', () => {
  let gw: TestGateway;
  let token: string;
  let nextClient = 10;

  before(async () => {
    gw = await TestGateway.start({
      env: { TRUSTED_PROXIES: '127.0.0.1' },
      config: [
        'rateLimits:',
        `  unlockPerLink: { max: ${PER_LINK}, windowSeconds: 900 }`,
        `  unlockPerIp: { max: ${PER_IP}, windowSeconds: 900 }`,
      ],
    });
    token = await gw.token();
  });
  after(async () => {
    await gw?.stop();
  });

  /** A fresh client address (TEST-NET-2) for one test. */
  const client = (): string => `198.51.100.${nextClient++}`;

  async function passwordLink(content: Buffer | string, password = PASSWORD): Promise<{ id: string; url: string; fileId: string }> {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'secret-plan.pdf', content }], { password });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const link = (await (await fetch(`${gw.baseUrl}/api/v1/links/${created.body.id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      passwordProtected: boolean;
      files: Array<{ id: string }>;
    };
    assert.equal(link.passwordProtected, true);
    return { id: created.body.id, url: created.body.grants[0]!.url, fileId: link.files[0]!.id };
  }

  async function unlockJson(url: string, ip: string, password: string, cookie?: string): Promise<{ status: number; headers: Headers; body: Problem | null }> {
    const res = await fetch(`${url}/unlock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-forwarded-for': ip, ...(cookie ? { cookie } : {}) },
      body: JSON.stringify({ password }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Problem) : null };
  }

  function postForm(url: string, ip: string, fields: Record<string, string>, cookie?: string): Promise<RawResponse> {
    return rawRequest(`${url}/unlock`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html,application/xhtml+xml',
        // The page's own form in a browser.
        origin: gw.baseUrl,
        'sec-fetch-site': 'same-origin',
        'x-forwarded-for': ip,
        ...(cookie ? { cookie } : {}),
      },
      body: new URLSearchParams(fields).toString(),
    });
  }

  const csrfOf = (html: string): string => {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    assert.ok(m, 'the unlock form carries a CSRF token');
    return m[1]!;
  };

  async function auditTypes(linkId: string): Promise<Array<{ type: string; outcome: string; ip: string | null; details: unknown }>> {
    const res = await fetch(`${gw.baseUrl}/api/v1/audit/events?linkId=${linkId}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    return (await res.json()) as Array<{ type: string; outcome: string; ip: string | null; details: unknown }>;
  }

  it('a locked link lists no files and refuses downloads without the password', async () => {
    const ip = client();
    const { id, url, fileId } = await passwordLink('top secret');
    const json = await fetch(url, { headers: { accept: 'application/json', 'x-forwarded-for': ip } });
    assert.equal(json.status, 200);
    const meta = (await json.json()) as { locked: string[]; files: unknown[] };
    assert.deepEqual(meta.locked, ['password']);
    assert.deepEqual(meta.files, [], 'no file is listed before the password is given');

    const page = await fetch(url, { headers: { 'x-forwarded-for': ip } });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<form method="post" action="\/l\/[^"]+\/unlock">/);
    assert.match(html, /type="password"/);
    assert.doesNotMatch(html, /secret-plan\.pdf/, 'the page does not show file names before unlocking');

    const download = await fetch(`${url}/files/${fileId}`, { headers: { accept: 'application/json', 'x-forwarded-for': ip } });
    assert.equal(download.status, 401);
    const problem = (await download.json()) as Problem;
    assert.equal(problem.code, 'link_password_required');
    assert.deepEqual(problem.locked, ['password']);
    const asPage = await rawRequest(`${url}/files/${fileId}`, { headers: { 'x-forwarded-for': ip } });
    assert.equal(asPage.status, 401);
    assert.match(String(asPage.headers['content-type']), /text\/html/);
    assert.ok(!asPage.body.toString().includes('top secret'));
    assert.equal((await rawRequest(`${url}/archive`, { headers: { 'x-forwarded-for': ip } })).status, 401);

    const exported = await (await fetch(`${gw.baseUrl}/api/v1/audit/events?format=jsonl`, { headers: { authorization: `Bearer ${token}` } })).text();
    assert.ok(!exported.includes(PASSWORD), 'the password never appears in the audit log');
    const created = (await auditTypes(id)).find((e) => e.type === 'link.created');
    assert.equal((created?.details as { passwordProtected?: boolean }).passwordProtected, true);
  });

  it('a wrong password is refused with 401 and the same answer whatever is wrong with it', async () => {
    const ip = client();
    const { url, fileId } = await passwordLink('x');
    const wrong = [PASSWORD.toUpperCase(), `${PASSWORD} `, "' OR '1'='1", 'p'.repeat(2000)];
    const answers: Problem[] = [];
    for (const password of wrong) {
      const res = await unlockJson(url, ip, password);
      assert.equal(res.status, 401, `password ${JSON.stringify(password.slice(0, 30))}`);
      answers.push(res.body!);
    }
    const viaHeader = await fetch(`${url}/files/${fileId}`, { headers: { accept: 'application/json', 'x-link-password': 'nope', 'x-forwarded-for': ip } });
    assert.equal(viaHeader.status, 401);
    answers.push((await viaHeader.json()) as Problem);
    for (const a of answers) {
      assert.equal(a.code, 'link_password_incorrect');
      assert.equal(a.message, answers[0]!.message, 'every wrong password gets the same message');
    }
    assert.equal((await unlockJson(url, ip, PASSWORD)).status, 204, 'a few mistakes below the limit do not lock the link');
  });

  it('X-Link-Password with the right password lets a script list and download the files', async () => {
    const ip = client();
    const content = randomBytes(10_000);
    const { url, fileId } = await passwordLink(content);
    const meta = await fetch(url, { headers: { accept: 'application/json', 'x-link-password': PASSWORD, 'x-forwarded-for': ip } });
    assert.equal(meta.status, 200);
    const body = (await meta.json()) as { locked: string[]; files: Array<{ id: string; name: string }> };
    assert.deepEqual(body.locked, []);
    assert.deepEqual(
      body.files.map((f) => f.name),
      ['secret-plan.pdf'],
    );
    const download = await rawRequest(`${url}/files/${fileId}`, { headers: { 'x-link-password': PASSWORD, 'x-forwarded-for': ip } });
    assert.equal(download.status, 200);
    assert.ok(download.body.equals(content));
    const withoutHeader = await rawRequest(`${url}/files/${fileId}`, { headers: { cookie: sessionCookie(download), 'x-forwarded-for': ip } });
    assert.equal(withoutHeader.status, 401, 'the header unlocks only the request that carries it');
  });

  it('the HTML form unlocks the browser session: 303 back to the page, which lists the files, and the download works with the cookie', async () => {
    const ip = client();
    const content = randomBytes(5000);
    const { url, fileId } = await passwordLink(content);
    const path = new URL(url).pathname;
    const first = await rawRequest(url, { headers: { accept: 'text/html', 'x-forwarded-for': ip } });
    assert.equal(first.status, 200);
    const cookie = sessionCookie(first);
    assert.match(cookie, /mft_rs=/);
    const csrf = csrfOf(first.body.toString());

    const noCsrf = await postForm(url, ip, { password: PASSWORD }, cookie);
    assert.equal(noCsrf.status, 403, 'a form post without its CSRF token is refused');
    const otherSession = await postForm(url, ip, { _csrf: csrf, password: PASSWORD });
    assert.equal(otherSession.status, 403, 'a CSRF token is only good for the session it was made for');
    const forged = await postForm(url, ip, { _csrf: `${csrf.slice(0, -2)}xx`, password: PASSWORD }, cookie);
    assert.equal(forged.status, 403);

    const wrong = await postForm(url, ip, { _csrf: csrf, password: 'not it' }, cookie);
    assert.equal(wrong.status, 303);
    assert.equal(wrong.headers.location, `${path}?error=link_password_incorrect`);
    const retry = await rawRequest(`${url}?error=link_password_incorrect`, { headers: { cookie, 'x-forwarded-for': ip } });
    assert.match(retry.body.toString(), /password is not correct/);
    assert.doesNotMatch(retry.body.toString(), /secret-plan\.pdf/);

    const ok = await postForm(url, ip, { _csrf: csrf, password: PASSWORD }, cookie);
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.location, path);
    const unlockedCookie = sessionCookie(ok);
    assert.match(unlockedCookie, /^mft_rs=/, 'the unlock moves the browser to a new session');
    assert.notEqual(unlockedCookie, cookie);
    const unlocked = await rawRequest(url, { headers: { accept: 'text/html', cookie: unlockedCookie, 'x-forwarded-for': ip } });
    assert.equal(unlocked.status, 200);
    const html = unlocked.body.toString();
    assert.match(html, /secret-plan\.pdf/, 'the page lists the files once unlocked');
    assert.ok(html.includes(`${path}/files/${fileId}`));
    assert.doesNotMatch(html, /type="password"/);

    const download = await rawRequest(`${url}/files/${fileId}`, { headers: { cookie: unlockedCookie, 'x-forwarded-for': ip } });
    assert.equal(download.status, 200);
    assert.ok(download.body.equals(content));
    const stranger = await rawRequest(`${url}/files/${fileId}`, { headers: { 'x-forwarded-for': ip } });
    assert.equal(stranger.status, 401, 'another browser without the unlocked session is still refused');

    // A script (no Origin, no Sec-Fetch-Site) may post the form body without a page token: 204 and its own session.
    const script = await rawRequest(`${url}/unlock`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
      body: new URLSearchParams({ password: PASSWORD }).toString(),
    });
    assert.equal(script.status, 204);
    const scriptFiles = await rawRequest(`${url}/files/${fileId}`, { headers: { cookie: sessionCookie(script), 'x-forwarded-for': ip } });
    assert.equal(scriptFiles.status, 200);
  });

  it('repeated wrong passwords end in 429 with Retry-After; then even the right password is refused, and the attempts are audited', async () => {
    const ip = client();
    const content = randomBytes(3000);
    const { id, url, fileId } = await passwordLink(content);
    // A recipient who unlocked before the attack keeps access through their session.
    const early = await fetch(url, { headers: { 'x-forwarded-for': client() } });
    const earlyUnlock = await unlockJson(url, client(), PASSWORD, sessionCookie(early));
    assert.equal(earlyUnlock.status, 204);
    const earlyCookie = earlyUnlock.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');

    const statuses: number[] = [];
    let limited: { status: number; headers: Headers; body: Problem | null } | null = null;
    for (let i = 0; i < PER_LINK + 2 && !limited; i++) {
      const res = await unlockJson(url, ip, `guess-${i}`);
      statuses.push(res.status);
      if (res.status === 429) {
        limited = res;
      }
    }
    assert.ok(limited, `statuses: ${statuses.join(',')}`);
    assert.ok(statuses.slice(0, -1).every((s) => s === 401), `statuses: ${statuses.join(',')}`);
    assert.equal(limited.body!.code, 'too_many_attempts');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 900, `Retry-After: ${limited.headers.get('retry-after')}`);

    const right = await unlockJson(url, ip, PASSWORD);
    assert.equal(right.status, 429, 'the right password is refused while the link is limited');
    assert.ok(right.headers.get('retry-after'));
    const fromElsewhere = await unlockJson(url, client(), PASSWORD);
    assert.equal(fromElsewhere.status, 429, 'the per-link limit holds whatever address the guesses come from');
    const script = await rawRequest(`${url}/files/${fileId}`, { headers: { 'x-link-password': PASSWORD, 'x-forwarded-for': client(), accept: 'application/json' } });
    assert.equal(script.status, 429);
    assert.ok(script.headers['retry-after']);
    assert.ok(!script.body.includes(content));

    const page = await rawRequest(url, { headers: { accept: 'text/html', 'x-forwarded-for': ip } });
    const cookie = sessionCookie(page);
    const form = await postForm(url, ip, { _csrf: csrfOf(page.body.toString()), password: PASSWORD }, cookie);
    assert.equal(form.status, 429, 'the HTML form is limited too');
    assert.match(String(form.headers['content-type']), /text\/html/);
    assert.ok(form.headers['retry-after']);
    assert.match(form.body.toString(), /Too many/);

    const earlyDownload = await rawRequest(`${url}/files/${fileId}`, { headers: { cookie: earlyCookie, 'x-forwarded-for': client() } });
    assert.equal(earlyDownload.status, 200, 'a session unlocked before the guessing still downloads');
    assert.ok(earlyDownload.body.equals(content));

    const events = await auditTypes(id);
    const failed = events.filter((e) => e.type === 'unlock.failed');
    assert.equal(failed.length, statuses.filter((s) => s === 401).length, 'every wrong guess that was checked is recorded');
    assert.ok(failed.every((e) => e.outcome === 'failure' && e.ip === ip));
    assert.ok(events.some((e) => e.type === 'unlock.rate_limited' && e.outcome === 'denied' && e.ip === ip));
    assert.ok(events.some((e) => e.type === 'unlock.succeeded'));
    const exported = await (await fetch(`${gw.baseUrl}/api/v1/audit/events?format=jsonl&linkId=${id}`, { headers: { authorization: `Bearer ${token}` } })).text();
    assert.ok(!exported.includes('guess-') && !exported.includes(PASSWORD), 'attempted passwords are never recorded');
  });

  it('wrong passwords from one address across several links end in 429 for that address only', async () => {
    const ip = client();
    const links = [await passwordLink('a'), await passwordLink('b'), await passwordLink('c')];
    const statuses: number[] = [];
    // Spread the guesses so that no single link reaches its own limit.
    for (let i = 0; i < PER_IP; i++) {
      statuses.push((await unlockJson(links[i % links.length]!.url, ip, `guess-${i}`)).status);
    }
    assert.ok(
      statuses.every((s) => s === 401),
      statuses.join(','),
    );
    const over = await unlockJson(links[0]!.url, ip, PASSWORD);
    assert.equal(over.status, 429, 'the address has used up its attempts');
    assert.ok(over.headers.get('retry-after'));
    assert.equal((await unlockJson(links[0]!.url, client(), PASSWORD)).status, 204, 'another address can still unlock the same link');
  });

  it('a script that sends the right X-Link-Password with every request is not throttled as if it were guessing', async () => {
    const ip = client();
    const content = randomBytes(1000);
    const { url, fileId } = await passwordLink(content);
    const statuses: number[] = [];
    for (let i = 0; i < PER_LINK + 2; i++) {
      const res = await rawRequest(`${url}/files/${fileId}`, { headers: { 'x-link-password': PASSWORD, 'x-forwarded-for': ip, accept: 'application/json' } });
      statuses.push(res.status);
    }
    assert.deepEqual(
      statuses,
      statuses.map(() => 200),
      'every download with the right password succeeds',
    );
  });

  it('refuses a link password shorter than the policy minimum of 12 characters with 422 (characters, not bytes)', async () => {
    for (const password of ['12345678901', '😀😀😀😀😀😀😀😀😀😀😀']) {
      // The whole form in one buffer, so that the refusal is read after the complete request.
      const form = new FormData();
      form.append('password', password);
      form.append('file', new Blob(['x']), 'a.txt');
      const encoded = new Response(form);
      const answer = await fetch(`${gw.baseUrl}/api/v1/links`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': encoded.headers.get('content-type')! },
        body: Buffer.from(await encoded.arrayBuffer()),
      });
      const res = { status: answer.status, body: (await answer.json()) as { code: string } };
      assert.equal(res.status, 422, `${password}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'policy_password_too_short');
    }
    const twelve = await createSendLink(gw.baseUrl, token, [{ name: 'a.txt', content: 'x' }], { password: '😀2345678901😀' });
    assert.equal(twelve.status, 201, 'twelve characters are enough');
  });
});
