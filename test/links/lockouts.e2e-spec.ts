import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSendLink, sessionCookie, TestGateway } from '@mft/testing';

const PER_SESSION = 3;
const PER_LINK_AND_IP = 6;
const PER_LINK = 12;
const PASSWORD = 'correct horse battery';

interface Problem {
  code: string;
  locked?: string[];
}

/**
 * Wrong link passwords lock out whoever makes them — their browser session, then their address —
 * long before the link itself is locked for everyone; only guesses from many addresses reach the
 * per-link ceiling. X-Forwarded-For from the trusted loopback proxy gives each client its address.
 */
describe('password lockouts fall on the guesser, not on the recipient', () => {
  let gw: TestGateway;
  let token: string;
  let nextClient = 10;

  before(async () => {
    gw = await TestGateway.start({
      env: { TRUSTED_PROXIES: '127.0.0.1' },
      config: [
        'rateLimits:',
        `  unlockPerSession: { max: ${PER_SESSION}, windowSeconds: 900 }`,
        `  unlockPerLinkAndIp: { max: ${PER_LINK_AND_IP}, windowSeconds: 900 }`,
        `  unlockPerLink: { max: ${PER_LINK}, windowSeconds: 900 }`,
        '  unlockPerIp: { max: 40, windowSeconds: 900 }',
      ],
    });
    token = await gw.token();
  });
  after(async () => {
    await gw?.stop();
  });

  const client = (): string => `203.0.113.${nextClient++}`;

  async function passwordLink(): Promise<{ id: string; url: string; fileId: string }> {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'plan.txt', content: 'the plan' }], { password: PASSWORD });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const link = (await (await fetch(`${gw.baseUrl}/api/v1/links/${created.body.id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      files: Array<{ id: string }>;
    };
    return { id: created.body.id, url: created.body.grants[0]!.url, fileId: link.files[0]!.id };
  }

  async function unlock(url: string, ip: string, password: string, cookie?: string): Promise<{ status: number; body: Problem | null; retryAfter: string | null }> {
    const res = await fetch(`${url}/unlock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-forwarded-for': ip, ...(cookie ? { cookie } : {}) },
      body: JSON.stringify({ password }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Problem) : null, retryAfter: res.headers.get('retry-after') };
  }

  it('guesses from one address lock that address out of the link; the recipient at another address still unlocks', async () => {
    const attacker = client();
    const { url } = await passwordLink();
    const statuses: number[] = [];
    for (let i = 0; i < PER_LINK_AND_IP; i++) {
      statuses.push((await unlock(url, attacker, `guess-${i}`)).status);
    }
    assert.deepEqual(
      statuses,
      statuses.map(() => 401),
    );
    const over = await unlock(url, attacker, 'one more');
    assert.equal(over.status, 429);
    assert.equal(over.body!.code, 'too_many_attempts');
    assert.ok(Number(over.retryAfter) > 0);
    assert.equal((await unlock(url, attacker, PASSWORD)).status, 429, 'the address stays locked even with the right password');
    assert.equal((await unlock(url, client(), PASSWORD)).status, 204, 'the recipient at another address unlocks');
  });

  it('guesses in one browser session lock that session first; a fresh session from the same address still has attempts', async () => {
    const ip = client();
    const { url } = await passwordLink();
    const cookie = sessionCookie(await fetch(url, { headers: { accept: 'application/json', 'x-forwarded-for': ip } }));
    assert.match(cookie, /^mft_rs=/);
    for (let i = 0; i < PER_SESSION; i++) {
      assert.equal((await unlock(url, ip, `guess-${i}`, cookie)).status, 401);
    }
    const locked = await unlock(url, ip, PASSWORD, cookie);
    assert.equal(locked.status, 429, 'the session has used its attempts');
    assert.equal(locked.body!.code, 'too_many_attempts');
    assert.equal((await unlock(url, ip, PASSWORD)).status, 204, 'another session of the same address is not locked by it');
  });

  it('guesses spread over many addresses still reach the per-link ceiling, and the limit is audited', async () => {
    const { id, url } = await passwordLink();
    for (let i = 0; i < PER_LINK; i++) {
      assert.equal((await unlock(url, client(), `guess-${i}`)).status, 401);
    }
    const ceiling = await unlock(url, client(), PASSWORD);
    assert.equal(ceiling.status, 429);
    assert.equal(ceiling.body!.code, 'too_many_attempts');
    const events = (await (await fetch(`${gw.baseUrl}/api/v1/audit/events?linkId=${id}&type=unlock.rate_limited`, { headers: { authorization: `Bearer ${token}` } })).json()) as Array<{
      outcome: string;
      details: { limit?: string };
    }>;
    assert.equal(events.length, 1);
    assert.equal(events[0]!.outcome, 'denied');
    assert.equal(events[0]!.details.limit, 'link');
  });

  it('an empty X-Link-Password header does not unlock a password-protected link', async () => {
    const ip = client();
    const { url, fileId } = await passwordLink();
    const res = await fetch(`${url}/files/${fileId}`, { headers: { accept: 'application/json', 'x-link-password': '', 'x-forwarded-for': ip } });
    assert.equal(res.status, 401);
    const problem = (await res.json()) as Problem;
    assert.equal(problem.code, 'link_password_required');
    assert.deepEqual(problem.locked, ['password']);
    const landing = await fetch(url, { headers: { accept: 'application/json', 'x-link-password': '', 'x-forwarded-for': ip } });
    assert.equal(landing.status, 200);
    const view = (await landing.json()) as { locked: string[]; files: unknown[] };
    assert.deepEqual(view.locked, ['password']);
    assert.deepEqual(view.files, []);
  });
});
