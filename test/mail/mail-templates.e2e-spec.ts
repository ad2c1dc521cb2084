import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSendLink, SmtpSink, TestGateway } from '@mft/testing';

const FAST_MAIL = { MAIL_POLL_SECONDS: '0.3', MAIL_RETRY_BASE_SECONDS: '0.3', MAIL_RETRY_MAX_SECONDS: '1' };
const TEMPLATE = '/api/v1/mail/templates/recipient-invitation';
const file = (name: string): string => readFileSync(join(process.cwd(), 'libs', 'mail', 'src', 'templates', name), 'utf8');

interface TemplateBody {
  name: string;
  version: number;
  customised: boolean;
  customisedParts: string[];
  subject: string;
  text: string;
  html: string;
  defaults: { subject: string; text: string; html: string };
  variables: Array<{ name: string; kind: string; fields?: Array<{ name: string }> }>;
}
interface Refusal {
  code: string;
  message: string;
  part?: string;
  line?: number | null;
  variable?: string;
}

const OVERRIDE = {
  subject: 'Files from {{senderName}} via {{brand.name}}',
  text: 'Hello {{recipient}},\n{{senderName}} says: {{message}}\n{{#each files as |f i|}}{{i}}. {{f.name}}\n{{/each}}Open: {{url}}\n',
  html: '<p class="custom">{{senderName}} says: {{message}}</p>\n<ul>{{#each files}}<li>{{name}} ({{sizeText}})</li>{{/each}}</ul>\n<p><a href="{{url}}">Open</a></p>',
};

describe('email templates: admins edit, preview, version and reset them; mail uses the version in force (real SMTP server)', () => {
  let sink: SmtpSink;
  let gw: TestGateway;
  let admin: string;
  let employee: string;

  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token = admin): Promise<Response> =>
    fetch(`${gw.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  const refusal = async (res: Response, status: number): Promise<Refusal> => {
    const body = (await res.json()) as Refusal;
    assert.equal(res.status, status, JSON.stringify(body));
    assert.equal(typeof body.message, 'string');
    return body;
  };
  const current = async (): Promise<{ body: TemplateBody; etag: string }> => {
    const res = await api('GET', TEMPLATE);
    assert.equal(res.status, 200);
    return { body: (await res.json()) as TemplateBody, etag: res.headers.get('etag')! };
  };
  const save = (parts: Partial<typeof OVERRIDE>, headers: Record<string, string> = {}): Promise<Response> => api('PUT', TEMPLATE, { ...OVERRIDE, ...parts }, headers);

  before(async () => {
    sink = await SmtpSink.start();
    gw = await TestGateway.start({ env: { SMTP_URL: sink.url, MAIL_FROM: 'Files <files@corp.example>', ...FAST_MAIL } });
    admin = await gw.token('admin');
    await gw.addUser({ user: 'alice', roles: ['employee'], email: 'alice@corp.example' });
    employee = await gw.token('alice');
  });
  after(async () => {
    await gw?.stop();
    await sink?.stop();
  });

  it('lists the templates with their variables, as the built-in files (version 0)', async () => {
    const res = await api('GET', '/api/v1/mail/templates');
    assert.equal(res.status, 200);
    const list = (await res.json()) as TemplateBody[];
    assert.deepEqual(
      list.map((t) => [t.name, t.version, t.customised]),
      [
        ['recipient-invitation', 0, false],
        ['verification-code', 0, false],
        ['download-notification', 0, false],
        ['expired-unused', 0, false],
      ],
    );
    const invitation = list[0]!;
    assert.ok(['senderName', 'url', 'message', 'files', 'brand'].every((v) => invitation.variables.some((x) => x.name === v)));
    assert.deepEqual(
      invitation.variables.find((v) => v.name === 'brand')!.fields!.map((f) => f.name),
      ['name', 'primaryColor', 'accentColor', 'supportEmail', 'footer', 'logoUrl', 'publicUrl'],
    );
    const { body, etag } = await current();
    assert.equal(body.subject, file('recipient-invitation.subject.hbs'));
    assert.equal(body.html, file('recipient-invitation.html.hbs'));
    assert.equal(etag, '"mail-template-recipient-invitation-v0"');
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${gw.baseUrl}/api/docs`, { headers: { accept: 'application/json' } })).json()) as { paths: Record<string, Record<string, { summary?: string }>> };
    const routes = [
      ['/api/v1/mail/templates', 'get'],
      ['/api/v1/mail/templates/{name}', 'get'],
      ['/api/v1/mail/templates/{name}', 'put'],
      ['/api/v1/mail/templates/{name}', 'delete'],
      ['/api/v1/mail/templates/{name}/preview', 'post'],
      ['/api/v1/mail/templates/{name}/versions', 'get'],
      ['/api/v1/mail/templates/{name}/versions/{version}/restore', 'post'],
    ] as const;
    for (const [path, method] of routes) {
      assert.ok(doc.paths[path]?.[method]?.summary, `${method} ${path} has a summary`);
    }
  });

  it('refuses everyone but administrators (403)', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/v1/mail/templates'],
      ['GET', TEMPLATE],
      ['PUT', TEMPLATE, OVERRIDE],
      ['POST', `${TEMPLATE}/preview`, {}],
      ['GET', `${TEMPLATE}/versions`],
      ['DELETE', TEMPLATE],
    ] as const) {
      await refusal(await api(method, path, body, {}, employee), 403);
    }
  });

  it('previews unsaved parts with sample data, escaped in HTML', async () => {
    const res = await api('POST', `${TEMPLATE}/preview`, { subject: OVERRIDE.subject, html: OVERRIDE.html });
    assert.equal(res.status, 200);
    const preview = (await res.json()) as { subject: string; text: string; html: string };
    assert.equal(preview.subject, 'Files from Alice Martin via Secure file transfer', 'previews carry the organisation\'s own brand');
    assert.ok(preview.html.includes('<p class="custom">Alice Martin says: Here are the figures we discussed.\nThe second file is still a &lt;draft&gt;.</p>'), preview.html);
    assert.ok(preview.html.includes('<li>Figures &lt;draft&gt;.xlsx (310 KB)</li>'));
    assert.match(preview.html, /^<!doctype html>/, 'inside the layout');
    assert.match(preview.text, /Alice Martin <alice@corp\.example> sent you 2 files/, 'the text part in force (the file)');
    assert.equal((await current()).body.version, 0, 'a preview saves nothing');
  });

  it('refuses syntax errors and unknown variables with 422 naming the line', async () => {
    const syntax = await refusal(await save({ html: '<p>one</p>\n<p>two</p>\n{{#if message}}\n<p>{{message}}</p>\n' }), 422);
    assert.equal(syntax.code, 'mail_template_syntax');
    assert.equal(syntax.part, 'html');
    assert.equal(syntax.line, 5);
    assert.match(syntax.message, /line 5/i);
    const unclosed = await refusal(await save({ text: 'Hello\n{{recipient\n' }), 422);
    assert.equal(unclosed.code, 'mail_template_syntax');
    assert.equal(unclosed.part, 'text');
    assert.equal(unclosed.line, 2);

    const unknown = await refusal(await save({ text: 'Hello\n\n{{recipientName}}' }), 422);
    assert.equal(unknown.code, 'mail_template_unknown_variable');
    assert.equal(unknown.variable, 'recipientName');
    assert.equal(unknown.line, 3);
    assert.match(unknown.message, /Line 3 of the text body: “recipientName” is not a variable/);
    const preview = await refusal(await api('POST', `${TEMPLATE}/preview`, { subject: '{{code}}' }), 422);
    assert.equal(preview.code, 'mail_template_unknown_variable', 'the preview checks as a save does (code is another template’s variable)');
  });

  it('refuses templates that reach constructor or a prototype, lookup, unescaped HTML and partials', async () => {
    for (const html of ['{{constructor.constructor}}', '{{__proto__}}', '{{lookup this "constructor"}}', '{{#with constructor}}x{{/with}}', '{{{message}}}', '{{> invitation}}']) {
      const e = await refusal(await save({ html: `<p>ok</p>\n${html}` }), 422);
      assert.equal(e.code, 'mail_template_forbidden', `${html}: ${e.message}`);
      assert.equal(e.line, 2);
    }
    assert.equal((await current()).body.version, 0);
  });

  it('refuses a NUL, a missing part and a multi-line subject', async () => {
    const nul = await refusal(await save({ text: 'Hello\u0000there' }), 400);
    assert.equal(nul.code, 'invalid_request');
    assert.match(nul.message, /text contains a character that is not allowed/);
    await refusal(await api('PUT', TEMPLATE, { subject: 'x', text: 'y' }), 400);
    assert.equal((await refusal(await save({ subject: 'Line one\nLine two' }), 422)).code, 'mail_template_invalid');
    await refusal(await api('GET', '/api/v1/mail/templates/no-such-template'), 404);
  });

  it('saves an override that the next invitation uses, with data HTML-escaped and template syntax in data inert', async () => {
    const { etag } = await current();
    const res = await save({}, { 'if-match': etag });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('etag'), '"mail-template-recipient-invitation-v1"');
    const saved = (await res.json()) as TemplateBody;
    assert.equal(saved.version, 1);
    assert.deepEqual(saved.customisedParts, ['subject', 'text', 'html']);

    const message = 'Figures <script>alert(1)</script> {{constructor.constructor}} & more';
    const created = await createSendLink(gw.baseUrl, employee, [{ name: 'q<1>.pdf', content: 'numbers' }], { recipients: 'bob@partner.example', message });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const grant = created.body.grants[0]!;
    // The gateway still passes the brand as text until the brand object arrives, so brand.name prints nothing yet.
    const mail = await sink.latest('bob@partner.example', /^Files from alice via/);
    assert.equal(mail.text, `Hello bob@partner.example,\nalice says: ${message}\n0. q<1>.pdf\nOpen: ${grant.url}\n`);
    assert.ok(mail.html.includes('<p class="custom">alice says: Figures &lt;script&gt;alert(1)&lt;/script&gt; {{constructor.constructor}} &amp; more</p>'), mail.html);
    assert.ok(mail.html.includes('<li>q&lt;1&gt;.pdf (7 bytes)</li>'), mail.html);
    assert.ok(!mail.html.includes('<script>'));
  });

  it('refuses a change based on a stale version with 412', async () => {
    const stale = await refusal(await save({ subject: 'Another subject' }, { 'if-match': '"mail-template-recipient-invitation-v0"' }), 412);
    assert.equal(stale.code, 'mail_template_version_changed');
    await refusal(await api('DELETE', TEMPLATE, undefined, { 'if-match': '"mail-template-verification-code-v1"' }), 412);
    assert.equal((await current()).body.version, 1);
  });

  it('lists versions, restores an earlier one, and resets to the built-in files', async () => {
    let res = await save({ subject: 'Second subject from {{senderName}}' });
    assert.equal(res.status, 200);
    res = await api('GET', `${TEMPLATE}/versions`);
    assert.equal(res.status, 200);
    const versions = (await res.json()) as Array<{ version: number; action: string; createdBy: string; customisedParts: string[] }>;
    assert.deepEqual(
      versions.map((v) => [v.version, v.action, v.createdBy]),
      [
        [2, 'saved', 'user:admin'],
        [1, 'saved', 'user:admin'],
      ],
    );

    res = await api('POST', `${TEMPLATE}/versions/1/restore`);
    assert.equal(res.status, 200);
    let body = (await res.json()) as TemplateBody;
    assert.equal(body.version, 3);
    assert.equal(body.subject, OVERRIDE.subject);
    await refusal(await api('POST', `${TEMPLATE}/versions/99/restore`), 404);

    const { etag } = await current();
    res = await api('DELETE', TEMPLATE, undefined, { 'if-match': etag });
    assert.equal(res.status, 200);
    body = (await res.json()) as TemplateBody;
    assert.equal(body.version, 4);
    assert.equal(body.customised, false);
    assert.equal(body.subject, file('recipient-invitation.subject.hbs'));
    assert.equal(body.html, file('recipient-invitation.html.hbs'));

    const created = await createSendLink(gw.baseUrl, employee, [{ name: 'after-reset.txt', content: 'x' }], { recipients: 'carol@partner.example' });
    assert.equal(created.status, 201);
    const mail = await sink.latest('carol@partner.example', /sent you a file/);
    assert.equal(mail.subject, 'alice sent you a file', 'the file default is back');

    const history = (await (await api('GET', `${TEMPLATE}/versions`)).json()) as Array<{ version: number; action: string }>;
    assert.deepEqual(
      history.map((v) => v.action),
      ['reset', 'restored', 'saved', 'saved'],
    );
  });

  it('audits every change with who made it', async () => {
    const res = await api('GET', '/api/v1/audit/events?type=mail.template_changed,mail.template_restored,mail.template_reset');
    assert.equal(res.status, 200);
    const events = (await res.json()) as Array<{ type: string; actor: string; details: { template: string; version: number; restoredFrom?: number } }>;
    assert.deepEqual(
      events.map((e) => [e.type, e.actor, e.details.template, e.details.version]).sort((a, b) => Number(a[3]) - Number(b[3])),
      [
        ['mail.template_changed', 'user:admin', 'recipient-invitation', 1],
        ['mail.template_changed', 'user:admin', 'recipient-invitation', 2],
        ['mail.template_restored', 'user:admin', 'recipient-invitation', 3],
        ['mail.template_reset', 'user:admin', 'recipient-invitation', 4],
      ],
    );
    assert.equal(events.find((e) => e.type === 'mail.template_restored')!.details.restoredFrom, 1);
  });
});

describe('email templates on two replicas', () => {
  it('a replica renders a change made on another within a few seconds', async () => {
    const sink = await SmtpSink.start();
    const a = await TestGateway.start({ database: 'postgres', env: { SMTP_URL: sink.url, ...FAST_MAIL } });
    const b = await TestGateway.start({ share: a });
    try {
      const admin = await a.token('admin');
      await a.addUser({ user: 'alice', roles: ['employee'], email: 'alice@corp.example' });
      const employee = await a.token('alice');
      // B renders (and caches) the built-in invitation first; then the template changes through A.
      const first = await createSendLink(b.baseUrl, employee, [{ name: 'one.txt', content: 'x' }], { recipients: 'dave@partner.example' });
      assert.equal(first.status, 201);
      await sink.latest('dave@partner.example', /alice sent you a file/);
      const saved = await fetch(`${a.baseUrl}${TEMPLATE}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...OVERRIDE, subject: 'Replicated subject for {{recipient}}' }),
      });
      assert.equal(saved.status, 200);
      await a.kill(); // only B's worker is left to send
      await new Promise((r) => setTimeout(r, 2500));
      const created = await createSendLink(b.baseUrl, employee, [{ name: 'two.txt', content: 'x' }], { recipients: 'dave@partner.example' });
      assert.equal(created.status, 201);
      const mail = await sink.latest('dave@partner.example', /^Replicated subject/);
      assert.equal(mail.subject, 'Replicated subject for dave@partner.example');
    } finally {
      await b.stop();
      await a.stop();
      await sink.stop();
    }
  });
});
