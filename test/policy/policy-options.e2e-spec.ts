import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LinkView } from '@mft/links';
import { effectivePolicy, looserOverrides, parsePolicy, type LinkRequest, type ResolvedLinkOptions } from '@mft/policy';
import { createSendLink, TestGateway } from '@mft/testing';
import { brokenRules, conflicting, policyInputArb, satisfies } from '@mft/policy/testing';

type Who = 'admin' | 'employee' | 'finance' | 'external';
const DAY = 86_400_000;

interface Row {
  readonly name: string;
  readonly policy: Record<string, unknown>;
  readonly as?: Who;
  readonly fields?: Record<string, string>;
  readonly files?: ReadonlyArray<{ name: string; content: string }>;
  /** A refusal: the exact code. */
  readonly refused?: string;
  /** Or what the created link must be. */
  readonly link?: (view: LinkView, created: { password?: string }) => void;
}

const days = (n: number): string => new Date(Date.now() + n * DAY).toISOString();
const NINE_DAYS = days(9);
const aboutDaysFromNow = (iso: string | null, n: number): boolean => iso !== null && Math.abs(Date.parse(iso) - (Date.now() + n * DAY)) < 60_000;

/** Every option under every enforcement level, through the real API: PUT the policy, create a link, look. */
const TABLE: Row[] = [
  // password: off | optional | default | required, minimum length, generated passwords
  { name: 'password off: none given → none', policy: { password: { mode: 'off' } }, link: (v) => assert.equal(v.passwordProtected, false) },
  { name: 'password off: one given → refused', policy: { password: { mode: 'off' } }, fields: { password: 'a perfectly good one' }, refused: 'policy_password_not_allowed' },
  { name: 'password optional: none given → none', policy: { password: { mode: 'optional' } }, link: (v) => assert.equal(v.passwordProtected, false) },
  { name: 'password optional: given → protected', policy: { password: { mode: 'optional' } }, fields: { password: 'twelve chars!' }, link: (v) => assert.equal(v.passwordProtected, true) },
  { name: 'password optional: shorter than minLength → refused', policy: { password: { mode: 'optional', minLength: 20 } }, fields: { password: 'only nineteen chars' }, refused: 'policy_password_too_short' },
  {
    name: 'password default + generate: none given → generated, shown once',
    policy: { password: { mode: 'default', minLength: 18, generate: true } },
    link: (v, c) => {
      assert.equal(v.passwordProtected, true);
      assert.ok(c.password && [...c.password].length >= 18, `generated: ${c.password}`);
    },
  },
  { name: 'password default without generate: none given → refused', policy: { password: { mode: 'default' } }, refused: 'policy_password_required' },
  { name: 'password default: explicitly none → none', policy: { password: { mode: 'default' } }, fields: { password: '' }, link: (v) => assert.equal(v.passwordProtected, false) },
  { name: 'password required: explicitly none → refused', policy: { password: { mode: 'required', generate: true } }, fields: { password: '' }, refused: 'policy_password_required' },
  { name: 'password required + generate: none given → generated', policy: { password: { mode: 'required', generate: true } }, link: (v, c) => assert.ok(v.passwordProtected && c.password) },
  { name: 'password required: given → protected', policy: { password: { mode: 'required' } }, fields: { password: 'long enough, surely' }, link: (v, c) => assert.ok(v.passwordProtected && !c.password) },
  // email verification: off | optional | default | required, and required outside domains
  { name: 'email verification off: asked → refused', policy: { emailVerification: { mode: 'off' } }, fields: { requireEmailVerification: 'true' }, refused: 'policy_email_verification_not_allowed' },
  { name: 'email verification optional: not asked → off', policy: { emailVerification: { mode: 'optional' } }, link: (v) => assert.equal(v.requireEmailVerification, false) },
  { name: 'email verification optional: asked → on', policy: { emailVerification: { mode: 'optional' } }, fields: { requireEmailVerification: 'true' }, link: (v) => assert.equal(v.requireEmailVerification, true) },
  { name: 'email verification default: not asked → on', policy: { emailVerification: { mode: 'default' } }, link: (v) => assert.equal(v.requireEmailVerification, true) },
  { name: 'email verification default: turned off → off', policy: { emailVerification: { mode: 'default' } }, fields: { requireEmailVerification: 'false' }, link: (v) => assert.equal(v.requireEmailVerification, false) },
  { name: 'email verification required: turned off → refused', policy: { emailVerification: { mode: 'required' } }, fields: { requireEmailVerification: 'false' }, refused: 'policy_email_verification_required' },
  { name: 'email verification required: not asked → on', policy: { emailVerification: { mode: 'required' } }, link: (v) => assert.equal(v.requireEmailVerification, true) },
  {
    name: 'email verification required outside corp.example: an inside recipient → optional',
    policy: { emailVerification: { mode: 'optional', requiredOutsideDomains: ['corp.example'] } },
    fields: { recipients: 'colleague@eu.corp.example', notify: 'false' },
    link: (v) => assert.equal(v.requireEmailVerification, false),
  },
  {
    name: 'email verification required outside corp.example: an outside recipient → on',
    policy: { emailVerification: { mode: 'optional', requiredOutsideDomains: ['corp.example'] } },
    fields: { recipients: 'colleague@corp.example, client@partner.example', notify: 'false' },
    link: (v) => assert.equal(v.requireEmailVerification, true),
  },
  {
    name: 'email verification required outside corp.example: an outside recipient, turned off → refused',
    policy: { emailVerification: { mode: 'optional', requiredOutsideDomains: ['corp.example'] } },
    fields: { recipients: 'client@partner.example', requireEmailVerification: 'false', notify: 'false' },
    refused: 'policy_email_verification_required',
  },
  // one-time: optional | default | forced
  { name: 'one-time optional: not asked → off', policy: { oneTime: { mode: 'optional' } }, link: (v) => assert.equal(v.oneTime, false) },
  { name: 'one-time default: not asked → on', policy: { oneTime: { mode: 'default' } }, link: (v) => assert.ok(v.oneTime && v.maxDownloads === 1) },
  { name: 'one-time default: turned off → off', policy: { oneTime: { mode: 'default' } }, fields: { oneTime: 'false' }, link: (v) => assert.equal(v.oneTime, false) },
  { name: 'one-time forced: turned off → refused', policy: { oneTime: { mode: 'forced' } }, fields: { oneTime: 'false' }, refused: 'policy_one_time_required' },
  { name: 'one-time forced: asking for 3 downloads → refused', policy: { oneTime: { mode: 'forced' } }, fields: { maxDownloads: '3' }, refused: 'policy_one_time_required' },
  // downloads: default and cap
  { name: 'downloads default 3: not asked → 3', policy: { downloads: { default: 3, max: null } }, link: (v) => assert.equal(v.maxDownloads, 3) },
  { name: 'downloads max 5: 10 asked → refused', policy: { downloads: { default: null, max: 5 } }, fields: { maxDownloads: '10' }, refused: 'policy_downloads_too_many' },
  { name: 'downloads max 5: unlimited asked → refused', policy: { downloads: { default: null, max: 5 } }, fields: { maxDownloads: 'unlimited' }, refused: 'policy_downloads_unlimited_not_allowed' },
  { name: 'downloads max 5: not asked → 5', policy: { downloads: { default: null, max: 5 } }, link: (v) => assert.equal(v.maxDownloads, 5) },
  { name: 'downloads max 5: 4 asked → 4', policy: { downloads: { default: 2, max: 5 } }, fields: { maxDownloads: '4' }, link: (v) => assert.equal(v.maxDownloads, 4) },
  // expiry: default, maximum, never
  { name: 'expiry default 2 days', policy: { expiry: { defaultDays: 2, maxDays: 10 } }, link: (v) => assert.ok(aboutDaysFromNow(v.expiresAt, 2), v.expiresAt ?? 'null') },
  { name: 'expiry max 10 days: 11 asked → refused', policy: { expiry: { defaultDays: 2, maxDays: 10 } }, fields: { expiresAt: days(11) }, refused: 'policy_expiry_too_long' },
  // The asked instant is kept exactly (it was computed when the table was built, maybe minutes before the row runs).
  { name: 'expiry max 10 days: 9 asked → kept', policy: { expiry: { defaultDays: 2, maxDays: 10 } }, fields: { expiresAt: NINE_DAYS }, link: (v) => assert.ok(Math.abs(Date.parse(v.expiresAt!) - Date.parse(NINE_DAYS)) < 1000, v.expiresAt ?? 'null') },
  { name: 'expiry never, not allowed → refused', policy: { expiry: { allowNever: false } }, fields: { expiresAt: 'never' }, refused: 'policy_expiry_never_not_allowed' },
  { name: 'expiry never, allowed → no expiry', policy: { expiry: { allowNever: true } }, fields: { expiresAt: 'never' }, link: (v) => assert.equal(v.expiresAt, null) },
  { name: 'expiry in the past → refused', policy: {}, fields: { expiresAt: days(-1) }, refused: 'policy_expiry_in_past' },
  // file and total size
  { name: 'max file size 10 bytes: 11 → refused', policy: { files: { maxFileBytes: 10, maxTotalBytes: 100 } }, files: [{ name: 'big.txt', content: '0123456789A' }], refused: 'policy_file_too_large' },
  { name: 'max file size 10 bytes: 10 → kept', policy: { files: { maxFileBytes: 10, maxTotalBytes: 100 } }, files: [{ name: 'ok.txt', content: '0123456789' }], link: (v) => assert.equal(v.files[0]!.size, 10) },
  {
    name: 'max total 15 bytes: two of 8 → refused',
    policy: { files: { maxFileBytes: 10, maxTotalBytes: 15 } },
    files: [
      { name: 'a.txt', content: '12345678' },
      { name: 'b.txt', content: '12345678' },
    ],
    refused: 'policy_total_too_large',
  },
  // creators: roles per kind, external users
  { name: 'send links by admins only: an employee → refused', policy: { creators: { send: ['admin'] } }, as: 'employee', refused: 'policy_creator_role_not_allowed' },
  { name: 'send links by employees: an employee → created', policy: { creators: { send: ['employee'] } }, as: 'employee', link: (v) => assert.equal(v.owner, 'emp') },
  { name: 'external users off: an external user → refused', policy: { creators: { send: ['admin', 'external'], externalUsers: false } }, as: 'external', refused: 'policy_external_creator_not_allowed' },
  { name: 'external users on: an external user → created', policy: { creators: { send: ['admin', 'external'], externalUsers: true } }, as: 'external', link: (v) => assert.equal(v.owner, 'ext') },
  // recipients: allowed and blocked domains
  { name: 'allowed domains: outside → refused', policy: { recipients: { allowedDomains: ['partner.example'] } }, fields: { recipients: 'x@other.example', notify: 'false' }, refused: 'policy_recipient_domain_not_allowed' },
  { name: 'allowed domains: a subdomain → created', policy: { recipients: { allowedDomains: ['partner.example'] } }, fields: { recipients: 'x@eu.partner.example', notify: 'false' }, link: (v) => assert.equal(v.grants.length, 1) },
  { name: 'blocked domains: a subdomain → refused', policy: { recipients: { blockedDomains: ['evil.example'] } }, fields: { recipients: 'ok@fine.example, x@sub.evil.example', notify: 'false' }, refused: 'policy_recipient_domain_blocked' },
  // notifications: defaults only
  {
    name: 'notifications off by default: the link does not email anyone',
    policy: { notifications: { notifySenderOnDownload: false, emailRecipients: false } },
    fields: { recipients: 'r@partner.example' },
    link: (v) => {
      assert.equal(v.notifyOnDownload, false);
      assert.equal(v.emailRecipients, false);
      assert.equal(v.grants[0]!.delivery.status, null);
    },
  },
  {
    name: 'notifications are defaults: the creator may turn them on',
    policy: { notifications: { notifySenderOnDownload: false, emailRecipients: false } },
    fields: { recipients: 'r@partner.example', notify: 'true', notifyOnDownload: 'true' },
    link: (v) => assert.ok(v.notifyOnDownload && v.emailRecipients && v.grants[0]!.delivery.status !== null),
  },
];

/**
 * A random policy made savable: the arbitraries' groups g1..g3 become "finance" (the group of one
 * test user) and others, and every override field that would loosen the organisation's policy is
 * dropped (saving those is refused, which is tested on its own).
 */
function stricterOnly(input: Record<string, unknown>): Record<string, unknown> {
  const groups = Object.fromEntries(
    Object.entries(input.groups as Record<string, Record<string, Record<string, unknown>>>).map(([k, v], i) => [i === 0 ? 'finance' : k, structuredClone(v)]),
  );
  const doc = { ...input, groups };
  for (let round = 0; round < 5; round++) {
    const looser = looserOverrides(parsePolicy(doc));
    if (looser.length === 0) {
      break;
    }
    for (const { group, path } of looser) {
      const [section, field] = path.slice(`groups.${group}.`.length).split('.') as [string, string];
      delete groups[group]?.[section]?.[field];
    }
  }
  return doc;
}

describe('policy enforcement on link creation, option by option (real API)', () => {
  let gw: TestGateway;
  const tokens = {} as Record<Who, string>;

  before(async () => {
    gw = await TestGateway.start();
    tokens.admin = await gw.token();
    await gw.addUser({ user: 'emp', roles: ['employee'], email: 'emp@corp.example' });
    await gw.addUser({ user: 'fin', roles: ['employee'], groups: ['finance', 'staff'] });
    await gw.addUser({ user: 'ext', roles: ['external'] });
    tokens.employee = await gw.token('emp');
    tokens.finance = await gw.token('fin');
    tokens.external = await gw.token('ext');
  });
  after(async () => gw?.stop());

  async function putPolicy(policy: Record<string, unknown>): Promise<Response> {
    return fetch(`${gw.baseUrl}/api/v1/policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(policy),
    });
  }

  async function view(id: string, who: Who): Promise<LinkView> {
    return (await (await fetch(`${gw.baseUrl}/api/v1/links/${id}`, { headers: { authorization: `Bearer ${tokens[who]}` } })).json()) as LinkView;
  }

  for (const row of TABLE) {
    it(row.name, async () => {
      const put = await putPolicy(row.policy);
      assert.equal(put.status, 200, await put.text());
      const who = row.as ?? 'admin';
      const created = await createSendLink(gw.baseUrl, tokens[who], row.files ?? [{ name: 'doc.txt', content: 'content' }], row.fields ?? {});
      if (row.refused) {
        assert.equal(created.status, 422, JSON.stringify(created.body));
        assert.equal(created.body.code, row.refused);
        assert.ok(created.body.message!.startsWith(`${row.refused}: `), created.body.message);
        return;
      }
      assert.equal(created.status, 201, JSON.stringify(created.body));
      row.link!(await view(created.body.id, who), created.body as { password?: string });
    });
  }

  it('a refusal names the rule and the allowed range', async () => {
    await putPolicy({ expiry: { defaultDays: 7, maxDays: 30 } });
    const created = await createSendLink(gw.baseUrl, tokens.admin, [{ name: 'a.txt', content: 'a' }], { expiresAt: days(45) });
    assert.equal(created.status, 422);
    assert.match(created.body.message!, /^policy_expiry_too_long: maximum is 30 days/);
    const body = created.body as unknown as { rule: string; allowed: unknown; requested: unknown };
    assert.equal(body.rule, 'expiry_too_long');
    assert.ok(body.allowed !== undefined && body.requested !== undefined);
  });

  it('a refused link leaves nothing behind: no link, and the policy was checked before any file was stored', async () => {
    await putPolicy({ password: { mode: 'required' } });
    const before = (await (await fetch(`${gw.baseUrl}/api/v1/links`, { headers: { authorization: `Bearer ${tokens.admin}` } })).json()) as unknown[];
    const refused = await createSendLink(gw.baseUrl, tokens.admin, [{ name: 'a.txt', content: 'a' }]);
    assert.equal(refused.status, 422);
    const after = (await (await fetch(`${gw.baseUrl}/api/v1/links`, { headers: { authorization: `Bearer ${tokens.admin}` } })).json()) as unknown[];
    assert.equal(after.length, before.length);
  });

  it('group overrides: stricter ones apply to members only, the effective policy shows them, and looser ones are refused when saved', async () => {
    const put = await putPolicy({
      password: { mode: 'optional', minLength: 12 },
      expiry: { defaultDays: 7, maxDays: 30 },
      groups: { finance: { password: { mode: 'required', minLength: 16 }, expiry: { maxDays: 3 } } },
    });
    assert.equal(put.status, 200);
    const mine = (await (await fetch(`${gw.baseUrl}/api/v1/policy/effective`, { headers: { authorization: `Bearer ${tokens.finance}` } })).json()) as {
      user: string;
      groups: string[];
      policy: { appliedGroups: string[]; password: { mode: string; minLength: number }; expiry: { maxDays: number; defaultDays: number } };
    };
    assert.equal(mine.user, 'fin');
    assert.deepEqual(mine.groups, ['finance', 'staff']);
    assert.deepEqual(mine.policy.appliedGroups, ['finance']);
    assert.deepEqual(mine.policy.password, { mode: 'required', minLength: 16, generate: false });
    assert.equal(mine.policy.expiry.maxDays, 3);

    const noPassword = await createSendLink(gw.baseUrl, tokens.finance, [{ name: 'q.xlsx', content: 'numbers' }]);
    assert.equal(noPassword.body.code, 'policy_password_required');
    const short = await createSendLink(gw.baseUrl, tokens.finance, [{ name: 'q.xlsx', content: 'numbers' }], { password: 'fifteen chars!!' });
    assert.equal(short.body.code, 'policy_password_too_short');
    const far = await createSendLink(gw.baseUrl, tokens.finance, [{ name: 'q.xlsx', content: 'numbers' }], { password: 'sixteen chars!!!', expiresAt: days(5) });
    assert.equal(far.body.code, 'policy_expiry_too_long');
    const ok = await createSendLink(gw.baseUrl, tokens.finance, [{ name: 'q.xlsx', content: 'numbers' }], { password: 'sixteen chars!!!' });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.ok(aboutDaysFromNow((await view(ok.body.id, 'finance')).expiresAt, 3), 'the default expiry is capped by the group maximum');

    const other = await createSendLink(gw.baseUrl, tokens.employee, [{ name: 'q.xlsx', content: 'numbers' }], { expiresAt: days(5) });
    assert.equal(other.status, 201, 'someone outside the group keeps the organisation policy');

    assert.equal((await fetch(`${gw.baseUrl}/api/v1/policy/effective?user=fin`, { headers: { authorization: `Bearer ${tokens.employee}` } })).status, 403);
    const asAdmin = await fetch(`${gw.baseUrl}/api/v1/policy/effective?user=fin`, { headers: { authorization: `Bearer ${tokens.admin}` } });
    assert.deepEqual(((await asAdmin.json()) as { policy: { appliedGroups: string[] } }).policy.appliedGroups, ['finance']);

    const looser = await putPolicy({ password: { mode: 'required', minLength: 12 }, groups: { finance: { password: { mode: 'optional', minLength: 8 } } } });
    assert.equal(looser.status, 422);
    const body = (await looser.json()) as { code: string; message: string };
    assert.equal(body.code, 'policy_override_looser');
    assert.match(body.message, /groups\.finance\.password\.mode/);
    assert.match(body.message, /groups\.finance\.password\.minLength/);
  });

  it('property: for random policies and random requests, every created link satisfies the policy in force, and every refusal names a rule the request broke', async () => {
    const randomRequestArb = fc.record({
      // Biased towards requests that can succeed, so that created links are frequent enough to check.
      recipients: fc.oneof(
        { arbitrary: fc.constant([]), weight: 3 },
        { arbitrary: fc.subarray(['a@example.com', 'b@sub.example.com', 'c@corp.com', 'd@evil.net', 'e@partner.org'], { maxLength: 2 }), weight: 1 },
      ),
      password: fc.option(fc.constantFrom('', 'short', 'a twelve char', 'a much longer password of many characters'), { nil: undefined }),
      requireEmailVerification: fc.option(fc.boolean(), { nil: undefined }),
      oneTime: fc.option(fc.boolean(), { nil: undefined, freq: 2 }),
      maxDownloads: fc.option(fc.oneof(fc.integer({ min: 1, max: 25 }), fc.constant(null)), { nil: undefined, freq: 2 }),
      expiresInDays: fc.option(fc.oneof(fc.integer({ min: 1, max: 62 }), fc.constant<'never'>('never')), { nil: undefined }),
      notify: fc.option(fc.boolean(), { nil: undefined }),
      size: fc.integer({ min: 1, max: 120 }),
      who: fc.oneof(
        { arbitrary: fc.constant<Who>('admin'), weight: 3 },
        { arbitrary: fc.constantFrom<Who>('employee', 'finance'), weight: 3 },
        { arbitrary: fc.constant<Who>('external'), weight: 1 },
      ),
    });
    // Half the requests leave every option to the policy (what most people do), the other half ask for things.
    const requestArb = fc.oneof(
      randomRequestArb,
      fc.record({
        recipients: fc.constant([] as string[]),
        password: fc.constant(undefined),
        requireEmailVerification: fc.constant(undefined),
        oneTime: fc.constant(undefined),
        maxDownloads: fc.constant(undefined),
        expiresInDays: fc.constant(undefined),
        notify: fc.constant(undefined),
        size: fc.integer({ min: 1, max: 20 }),
        who: fc.constantFrom<Who>('admin', 'employee', 'finance'),
      }),
    );
    const roles: Record<Who, string[]> = { admin: ['admin'], employee: ['employee'], finance: ['employee'], external: ['external'] };
    const groups: Record<Who, string[]> = { admin: [], employee: [], finance: ['finance', 'staff'], external: [] };
    const outcomes = { created: 0, refused: 0, codes: {} as Record<string, number> };
    await fc.assert(
      fc.asyncProperty(policyInputArb, requestArb, async (input, r) => {
        const doc = stricterOnly(input);
        const put = await putPolicy(doc);
        assert.equal(put.status, 200, await put.text());
        const now = new Date();
        const expiresAt = r.expiresInDays === undefined ? undefined : r.expiresInDays === 'never' ? 'never' : new Date(now.getTime() + r.expiresInDays * DAY + 3_600_000);
        const fields: Record<string, string> = {};
        if (r.recipients.length > 0) {fields.recipients = r.recipients.join(',');}
        if (r.password !== undefined) {fields.password = r.password;}
        if (r.requireEmailVerification !== undefined) {fields.requireEmailVerification = String(r.requireEmailVerification);}
        if (r.oneTime !== undefined) {fields.oneTime = String(r.oneTime);}
        if (r.maxDownloads !== undefined) {fields.maxDownloads = r.maxDownloads === null ? 'unlimited' : String(r.maxDownloads);}
        if (expiresAt !== undefined) {fields.expiresAt = expiresAt === 'never' ? 'never' : expiresAt.toISOString();}
        if (r.notify !== undefined) {fields.notify = String(r.notify);}
        const request: LinkRequest = {
          kind: 'send',
          recipients: r.recipients,
          password: r.password === undefined ? undefined : r.password === '' ? null : r.password,
          requireEmailVerification: r.requireEmailVerification,
          oneTime: r.oneTime,
          maxDownloads: r.maxDownloads,
          expiresAt,
          emailRecipients: r.notify,
          fileSizes: [r.size],
        };
        const policy = effectivePolicy(parsePolicy(doc), groups[r.who]);
        const creator = { roles: roles[r.who], external: r.who === 'external' };
        const broken = brokenRules(policy, request, creator, now);
        const created = await createSendLink(gw.baseUrl, tokens[r.who], [{ name: 'p.bin', content: 'x'.repeat(r.size) }], fields);
        if (created.status !== 201) {
          outcomes.refused++;
          const code = created.body.code ?? '';
          outcomes.codes[code] = (outcomes.codes[code] ?? 0) + 1;
          if (code === 'one_time_conflicts_with_max_downloads') {
            assert.ok(conflicting(request));
            return;
          }
          assert.equal(created.status, 422, JSON.stringify(created.body));
          assert.ok(broken.has(code.replace(/^policy_/, '') as never), `refused with ${code}, but the request breaks only [${[...broken].join(', ')}]`);
          return;
        }
        outcomes.created++;
        assert.deepEqual([...broken], [], `created a link that breaks ${[...broken].join(', ')}`);
        const v = await view(created.body.id, r.who);
        const generated = (created.body as { password?: string }).password;
        const options: ResolvedLinkOptions = {
          password: generated ?? (v.passwordProtected ? (request.password ?? null) : null),
          passwordGenerated: generated !== undefined,
          requireEmailVerification: v.requireEmailVerification,
          oneTime: v.oneTime,
          maxDownloads: v.maxDownloads,
          expiresAt: v.expiresAt === null ? null : new Date(v.expiresAt),
          notifySenderOnDownload: v.notifyOnDownload,
          emailRecipients: v.emailRecipients,
        };
        assert.deepEqual(satisfies(policy, options, request, now, 5_000), []);
      }),
      { numRuns: 60 },
    );
    assert.ok(outcomes.created >= 5 && outcomes.refused >= 5, JSON.stringify(outcomes));
  });
});
