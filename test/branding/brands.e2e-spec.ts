import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { createSendLink, rawRequest, SmtpSink, TestGateway } from '@mft/testing';

/** Several brands: CRUD for admins, and pages dressed by the brand whose domain is the request's Host (two host names on loopback). */
describe('several brands, each served on its own host names', () => {
  let gw: TestGateway;
  let sink: SmtpSink;
  let admin: string;
  let betaId: string;

  const json = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${gw.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  /** A request to the gateway as if to `host` (both names resolve to it on loopback). */
  const asHost = (host: string, path: string) => rawRequest(`${gw.baseUrl}${path}`, { headers: { host: `${host}:${gw.port}`, accept: 'text/html' } });

  before(async () => {
    sink = await SmtpSink.start();
    gw = await TestGateway.start({ env: { SMTP_URL: sink.url, MAIL_POLL_SECONDS: '0.3' } });
    admin = await gw.token();
    assert.equal((await json('PUT', '/api/v1/branding', { name: 'Acme Files' })).status, 200);
  });
  after(async () => {
    await gw?.stop();
    await sink?.stop();
  });

  it('creates a brand with its domains, groups and position; a domain served by another brand is a 409; bad fields are named', async () => {
    const res = await json('POST', '/api/v1/brands', { name: 'Beta Files', primaryColor: '#14532D', accentColor: '#14532d', domains: ['Beta.Test'], groups: ['beta-staff'], position: 1, publicUrl: `http://beta.test:${gw.port}` });
    assert.equal(res.status, 201, await res.clone().text());
    const beta = (await res.json()) as { id: string; isDefault: boolean; domains: string[]; primaryColor: string };
    betaId = beta.id;
    assert.deepEqual([beta.isDefault, beta.domains, beta.primaryColor], [false, ['beta.test'], '#14532d']);
    const list = (await (await json('GET', '/api/v1/brands')).json()) as Array<{ name: string; isDefault: boolean }>;
    assert.deepEqual(list.map((b) => [b.name, b.isDefault]), [['Acme Files', true], ['Beta Files', false]]);
    const taken = await json('POST', '/api/v1/brands', { name: 'Other', domains: ['beta.test'] });
    assert.equal(taken.status, 409);
    assert.match(((await taken.json()) as { message: string }).message, /domains: beta\.test is already served with the brand "Beta Files"/);
    const bad = await json('POST', '/api/v1/brands', { name: 'Bad', domains: ['https://x.test/'] });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /domains\.0 must be host names/);
    assert.equal((await json('POST', '/api/v1/brands', { name: 'Pale', primaryColor: '#eeeeee' })).status, 422);
  });

  it('serves each host its own brand on recipient, sign-in and error pages, theme.css and logo; other hosts get the default', async () => {
    const logo = await sharp({ create: { width: 60, height: 20, channels: 3, background: '#14532d' } }).png().toBuffer();
    const put = await fetch(`${gw.baseUrl}/api/v1/brands/${betaId}/logo`, { method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'image/png' }, body: new Uint8Array(logo) });
    assert.equal(put.status, 200, await put.clone().text());
    const betaLogin = (await asHost('beta.test', '/auth/login')).body.toString();
    assert.match(betaLogin, /<title>Sign in · Beta Files<\/title>/);
    assert.match(betaLogin, /<img class="logo"/);
    const defaultLogin = (await asHost('127.0.0.1', '/auth/login')).body.toString();
    assert.match(defaultLogin, /<title>Sign in · Acme Files<\/title>/);
    assert.ok(!defaultLogin.includes('class="logo"'), 'the default brand has no logo');
    const missing = await asHost('beta.test', '/l/not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaaaaa');
    assert.equal(missing.status, 404);
    assert.match(missing.body.toString(), /· Beta Files<\/title>/, 'error pages too');
    assert.equal((await asHost('beta.test', '/branding/theme.css')).body.toString(), ':root { --primary: #14532d; --accent: #14532d; }\n');
    assert.equal((await asHost('127.0.0.1', '/branding/theme.css')).body.toString(), ':root { --primary: #1f5fbf; --accent: #1f5fbf; }\n');
    const betaLogo = await asHost('beta.test', '/branding/logo');
    assert.equal(betaLogo.status, 200);
    assert.equal(betaLogo.headers['content-type'], 'image/png');
    assert.equal((await asHost('127.0.0.1', '/branding/logo')).status, 404);
    assert.equal(JSON.parse((await asHost('beta.test', '/branding.json')).body.toString()).name, 'Beta Files', 'the staff app on that host too');
    const preview = await fetch(`${gw.baseUrl}/api/v1/brands/${betaId}/logo`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(preview.status, 200, "admins read a brand's logo on any host (the Branding page's preview)");
    assert.equal(preview.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await preview.arrayBuffer()), betaLogo.body);
  });

  it('PUT replaces a brand; DELETE of its logo removes the logo; DELETE removes it (its host then gets the default), never the default one; all audited', async () => {
    const res = await json('PUT', `/api/v1/brands/${betaId}`, { name: 'Beta Two', domains: ['beta.test', 'b.test'] });
    assert.equal(res.status, 200);
    const updated = (await res.json()) as { name: string; primaryColor: string; groups: string[]; logoUrl: string | null };
    assert.deepEqual([updated.name, updated.primaryColor, updated.groups], ['Beta Two', '#1f5fbf', []], 'fields left out return to their defaults');
    assert.ok(updated.logoUrl, 'the logo stays');
    assert.match((await asHost('b.test', '/auth/login')).body.toString(), /· Beta Two<\/title>/);
    assert.equal((await json('DELETE', `/api/v1/brands/${betaId}/logo`)).status, 204);
    assert.equal((await asHost('b.test', '/branding/logo')).status, 404, 'the logo is gone');
    assert.equal(((await (await json('GET', `/api/v1/brands/${betaId}`)).json()) as { logoUrl: string | null }).logoUrl, null);
    assert.equal((await json('DELETE', `/api/v1/brands/${betaId}/logo`)).status, 404, 'there is none left to remove');
    assert.equal((await json('DELETE', `/api/v1/brands/${betaId}`)).status, 204);
    assert.match((await asHost('beta.test', '/auth/login')).body.toString(), /· Acme Files<\/title>/);
    assert.equal((await json('GET', `/api/v1/brands/${betaId}`)).status, 404);
    const defaultId = ((await (await json('GET', '/api/v1/brands')).json()) as Array<{ id: string }>)[0]!.id;
    const refused = await json('DELETE', `/api/v1/brands/${defaultId}`);
    assert.equal(refused.status, 409);
    const types = ((await (await json('GET', '/api/v1/audit/events?format=json')).json()) as Array<{ type: string }>).map((e) => e.type).filter((t) => t.startsWith('branding.'));
    assert.deepEqual(types.sort(), ['branding.brand_created', 'branding.brand_deleted', 'branding.changed', 'branding.changed', 'branding.logo_changed', 'branding.logo_removed']);
  });

  it("a user's links get the brand of their IdP group: grant URLs on its public URL, its name in the invitation; opened on another brand's domain, the link redirects to its own", async () => {
    const gamma = (await (await json('POST', '/api/v1/brands', { name: 'Gamma Files', primaryColor: '#5b21b6', accentColor: '#5b21b6', domains: ['gamma.test'], groups: ['gamma-staff'], publicUrl: `http://gamma.test:${gw.port}` })).json()) as { id: string };
    assert.ok(gamma.id);
    assert.equal((await json('POST', '/api/v1/brands', { name: 'Delta Files', domains: ['delta.test'] })).status, 201);
    await gw.addUser({ user: 'gus', roles: ['employee'], email: 'gus@gamma.example', groups: ['gamma-staff'] });
    await gw.addUser({ user: 'ada', roles: ['employee'], email: 'ada@acme.example', groups: ['other'] });
    const gus = await createSendLink(gw.baseUrl, await gw.token('gus'), [{ name: 'g.txt', content: 'g' }], { recipients: 'rita@partner.example' });
    assert.equal(gus.status, 201, JSON.stringify(gus.body));
    const url = gus.body.grants[0]!.url;
    assert.ok(url.startsWith(`http://gamma.test:${gw.port}/l/`), url);
    const ada = await createSendLink(gw.baseUrl, await gw.token('ada'), [{ name: 'a.txt', content: 'a' }], { recipients: 'sam@partner.example' });
    assert.ok(ada.body.grants[0]!.url.startsWith(`${gw.baseUrl}/l/`), 'no group brand: PUBLIC_URL');

    const mail = await sink.latest('rita@partner.example', /sent you a file/);
    assert.equal(mail.raw.from?.value[0]?.name, 'Gamma Files');
    assert.ok(mail.text.includes('through Gamma Files.'));
    assert.ok(mail.html.includes('background:#5b21b6'));
    assert.equal((await sink.latest('sam@partner.example', /sent you a file/)).raw.from?.value[0]?.name, 'Acme Files');

    const path = new URL(url).pathname;
    const own = await asHost('gamma.test', path);
    assert.equal(own.status, 200);
    assert.match(own.body.toString(), /<title>Files shared with you · Gamma Files<\/title>/);
    const moved = await asHost('delta.test', `${path}?x=1`);
    assert.equal(moved.status, 302);
    assert.equal(moved.headers.location, `http://gamma.test:${gw.port}${path}?x=1`);
    // A file's URL too, before anything is claimed: the download then happens on the link's own domain.
    const fileId = ((await (await fetch(url.replace(`http://gamma.test:${gw.port}`, gw.baseUrl), { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> }).files[0]!.id;
    const fileMoved = await asHost('delta.test', `${path}/files/${fileId}`);
    assert.equal(fileMoved.status, 302);
    assert.equal(fileMoved.headers.location, `http://gamma.test:${gw.port}${path}/files/${fileId}`);
    const fileHere = await asHost('gamma.test', `${path}/files/${fileId}`);
    assert.equal(fileHere.status, 200);
    assert.equal(fileHere.body.toString(), 'g');
    const plain = await asHost('127.0.0.1', path);
    assert.equal(plain.status, 200, "the gateway's own address serves every link");
    const adaPath = new URL(ada.body.grants[0]!.url).pathname;
    assert.equal((await asHost('gamma.test', adaPath)).headers.location, `${gw.baseUrl}${adaPath}`, 'a default-brand link on a brand domain goes to PUBLIC_URL');
  });
});
