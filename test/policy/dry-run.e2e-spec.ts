import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LinkView } from '@mft/links';
import { createSendLink, rawRequest, TestGateway } from '@mft/testing';

const DAY = 86_400_000;
const days = (n: number): string => new Date(Date.now() + n * DAY).toISOString();

/** The stricter policy proposed to an organisation that has links under the defaults. */
const PROPOSED = {
  expiry: { defaultDays: 5, maxDays: 10 },
  recipients: { blockedDomains: ['rival.example'] },
  groups: { finance: { password: { mode: 'required' } } },
};

interface Violation {
  linkId: string;
  owner: string;
  rules: Array<{ rule: string; message: string }>;
  action: string;
  newExpiresAt: string | null;
}

describe('policy dry run and retroactive application', () => {
  let gw: TestGateway;
  const tokens: Record<'admin' | 'emp' | 'fin', string> = { admin: '', emp: '', fin: '' };
  const links: Record<string, string> = {};

  before(async () => {
    gw = await TestGateway.start();
    tokens.admin = await gw.token();
    await gw.addUser({ user: 'emp', roles: ['employee'] });
    await gw.addUser({ user: 'fin', roles: ['employee'], groups: ['finance'] });
    tokens.emp = await gw.token('emp');
    tokens.fin = await gw.token('fin');
    const make = async (name: string, who: keyof typeof tokens, fields: Record<string, string>): Promise<void> => {
      const created = await createSendLink(gw.baseUrl, tokens[who], [{ name: `${name}.txt`, content: name }], { notify: 'false', ...fields });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      links[name] = created.body.id;
    };
    await make('complies', 'admin', { expiresAt: days(3) });
    await make('tooLong', 'admin', { expiresAt: days(20) });
    await make('rival', 'admin', { expiresAt: days(3), recipients: 'buyer@rival.example' });
    await make('finNoPassword', 'fin', { expiresAt: days(3) });
    await make('empNoPassword', 'emp', { expiresAt: days(3) });
    await make('finTooLong', 'fin', { expiresAt: days(20), password: 'a password long enough' });
    await make('both', 'admin', { expiresAt: days(20), recipients: 'ceo@rival.example' });
    await make('alreadyRevoked', 'admin', { expiresAt: days(20), recipients: 'x@rival.example' });
    await fetch(`${gw.baseUrl}/api/v1/links/${links.alreadyRevoked}`, { method: 'DELETE', headers: { authorization: `Bearer ${tokens.admin}` } });
  });
  after(async () => gw?.stop());

  const api = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${gw.baseUrl}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' } });
  const view = async (id: string): Promise<LinkView> => (await (await api(`/links/${id}`)).json()) as LinkView;

  async function dryRun(): Promise<{ checked: number; violations: Violation[] }> {
    const res = await api('/policy/dry-run', { method: 'POST', body: JSON.stringify(PROPOSED) });
    assert.equal(res.status, 200);
    return (await res.json()) as { checked: number; violations: Violation[] };
  }

  it('lists exactly the live links that would break the proposed policy, with every rule and what applying it would do; nothing changes', async () => {
    const report = await dryRun();
    assert.equal(report.checked, 7, 'every live link is checked (the revoked one is not live)');
    const byId = new Map(report.violations.map((v) => [v.linkId, v]));
    const name = (id: string): string => Object.entries(links).find(([, v]) => v === id)![0];
    assert.deepEqual(report.violations.map((v) => name(v.linkId)).sort(), ['both', 'finNoPassword', 'finTooLong', 'rival', 'tooLong']);
    const rules = (n: string): string[] => byId.get(links[n]!)!.rules.map((r) => r.rule).sort();
    assert.deepEqual(rules('tooLong'), ['expiry_too_long']);
    assert.deepEqual(rules('rival'), ['recipient_domain_blocked']);
    assert.deepEqual(rules('finNoPassword'), ['password_required'], 'judged with the owner’s group override');
    assert.deepEqual(rules('finTooLong'), ['expiry_too_long']);
    assert.deepEqual(rules('both'), ['expiry_too_long', 'recipient_domain_blocked']);
    assert.equal(byId.get(links.tooLong!)!.action, 'shorten_expiry');
    assert.equal(byId.get(links.both!)!.action, 'revoke');
    assert.equal(byId.get(links.finNoPassword!)!.action, 'revoke');
    const tooLong = await view(links.tooLong!);
    assert.equal(byId.get(links.tooLong!)!.newExpiresAt, new Date(Date.parse(tooLong.createdAt) + 10 * DAY).toISOString(), 'the longest expiry allowed, from creation');
    assert.match(byId.get(links.rival!)!.rules[0]!.message, /^policy_recipient_domain_blocked: .*rival\.example/);

    assert.equal((await api('/policy')).headers.get('etag'), '"policy-v0"', 'a dry run saves nothing');
    assert.equal((await view(links.tooLong!)).expiresAt, tooLong.expiresAt);
  });

  it('a dry run of an invalid or looser policy is refused like saving it', async () => {
    assert.equal((await api('/policy/dry-run', { method: 'POST', body: JSON.stringify({ expiry: { maxDays: 0 } }) })).status, 400);
    assert.equal((await api('/policy/dry-run', { method: 'POST', body: JSON.stringify({ groups: { finance: { expiry: { maxDays: 99 } } } }) })).status, 422);
  });

  it('applied without retroactive, existing links are left as they are; applied retroactively, each is shortened or revoked, and audited per link', async () => {
    const plain = await api('/policy', { method: 'PUT', body: JSON.stringify(PROPOSED) });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('x-policy-links-revoked'), null);
    assert.equal((await dryRun()).violations.length, 5, 'not retroactive: the links still break it');

    const before = await view(links.tooLong!);
    const retro = await api('/policy?retroactive=true', { method: 'PUT', body: JSON.stringify(PROPOSED) });
    assert.equal(retro.status, 200);
    assert.equal(retro.headers.get('x-policy-links-shortened'), '2');
    assert.equal(retro.headers.get('x-policy-links-revoked'), '3');

    const shortened = await view(links.tooLong!);
    assert.equal(shortened.expiresAt, new Date(Date.parse(before.createdAt) + 10 * DAY).toISOString());
    assert.equal(shortened.status, 'active');
    for (const n of ['rival', 'finNoPassword', 'both']) {
      assert.equal((await view(links[n]!)).status, 'revoked', n);
    }
    for (const n of ['complies', 'empNoPassword']) {
      assert.equal((await view(links[n]!)).status, 'active', n);
    }

    const events = (await (await api('/audit/events?format=json')).json()) as Array<{ type: string; linkId: string | null; details: Record<string, unknown> }>;
    const shortenedEvents = events.filter((e) => e.type === 'link.expiry_shortened');
    assert.deepEqual(shortenedEvents.map((e) => e.linkId).sort(), [links.tooLong, links.finTooLong].sort());
    assert.equal(shortenedEvents[0]!.details.reason, 'policy');
    const revokedEvents = events.filter((e) => e.type === 'link.revoked' && e.details.reason === 'policy');
    assert.deepEqual(revokedEvents.map((e) => e.linkId).sort(), [links.rival, links.finNoPassword, links.both].sort());
    assert.deepEqual((revokedEvents.find((e) => e.linkId === links.both)!.details.rules as string[]).sort(), ['expiry_too_long', 'recipient_domain_blocked']);

    assert.equal((await dryRun()).violations.length, 0, 'afterwards every live link complies');
  });

  it('a revoked link answers 410 to its recipient at once', async () => {
    const created = await createSendLink(gw.baseUrl, tokens.admin, [{ name: 'late.txt', content: 'late' }], { notify: 'false', expiresAt: days(3) });
    assert.equal((await rawRequest(created.body.grants[0]!.url, { headers: { accept: 'application/json' } })).status, 200);
    const res = await api('/policy?retroactive=true', { method: 'PUT', body: JSON.stringify({ ...PROPOSED, oneTime: { mode: 'forced' } }) });
    assert.equal(res.status, 200);
    assert.equal((await rawRequest(created.body.grants[0]!.url, { headers: { accept: 'application/json' } })).status, 410);
  });
});
