import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { createSendLink, SmtpSink, TestGateway } from '@mft/testing';

const FAST_MAIL = { MAIL_POLL_SECONDS: '0.3', MAIL_RETRY_BASE_SECONDS: '0.3', MAIL_RETRY_MAX_SECONDS: '1' };
const DEFAULTS = { name: 'Secure file transfer', primaryColor: '#1f5fbf', accentColor: '#1f5fbf', supportEmail: null, footer: null, publicUrl: null };
const HOSTILE_NAME = '<script>alert(1)</script> {{constructor}} "><img src=x onerror=alert(2)>';
const HOSTILE_FOOTER = 'Footer {{#each this}}x{{/each}} <b onmouseover="alert(3)">bold</b> "><img onerror=alert(4)>';

/** Admin branding API, logos, and the brand on every page and email, against a real gateway and SMTP server. */
describe('branding: the API, logos, and the brand on pages and emails', () => {
  let gw: TestGateway;
  let sink: SmtpSink;
  let admin: string;
  let employee: string;

  const api = (path: string, init: RequestInit & { token?: string } = {}): Promise<Response> =>
    fetch(`${gw.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${init.token ?? admin}`, ...(init.headers as Record<string, string> | undefined) } });
  const put = (body: unknown, token = admin): Promise<Response> =>
    api('/api/v1/branding', { method: 'PUT', token, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const putLogo = (bytes: Uint8Array | string, type: string): Promise<Response> =>
    api('/api/v1/branding/logo', { method: 'PUT', headers: { 'content-type': type }, body: typeof bytes === 'string' ? bytes : new Uint8Array(bytes) });

  before(async () => {
    sink = await SmtpSink.start();
    gw = await TestGateway.start({ env: { SMTP_URL: sink.url, ...FAST_MAIL } });
    admin = await gw.token();
    await gw.addUser({ user: 'erin', roles: ['employee'], email: 'erin@corp.example' });
    employee = await gw.token('erin');
  });
  after(async () => {
    await gw?.stop();
    await sink?.stop();
  });

  it('answers the defaults before anything is set, and refuses non-admins with 403', async () => {
    const res = await api('/api/v1/branding');
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual({ ...body, updatedAt: undefined, updatedBy: undefined }, { ...DEFAULTS, logoUrl: null, faviconUrl: null, updatedAt: undefined, updatedBy: undefined });
    assert.equal((await api('/api/v1/branding', { token: employee })).status, 403);
    assert.equal((await put({ name: 'Mine' }, employee)).status, 403);
    assert.equal((await api('/api/v1/branding/logo', { method: 'PUT', token: employee, headers: { 'content-type': 'image/png' }, body: 'x' })).status, 403);
    assert.equal((await fetch(`${gw.baseUrl}/branding/logo`)).status, 404, 'no logo yet');
    const doc = (await (await fetch(`${gw.baseUrl}/api/docs`, { headers: { accept: 'application/json' } })).json()) as { paths: Record<string, Record<string, { summary?: string }>> };
    assert.ok(doc.paths['/api/v1/branding']?.put?.summary);
    assert.ok(doc.paths['/api/v1/branding/logo']?.put?.summary);
  });

  it('PUT replaces the document: a round trip, then fields left out return to their defaults; each change is audited', async () => {
    const full = { name: 'Acme Files', primaryColor: '#0B3D91', accentColor: '#7a1f5c', supportEmail: 'help@acme.example', footer: 'Acme Corp · Line two', publicUrl: `${gw.baseUrl}/` };
    const res = await put(full);
    assert.equal(res.status, 200, await res.clone().text());
    const got = (await (await api('/api/v1/branding')).json()) as Record<string, unknown>;
    assert.deepEqual(
      { name: got.name, primaryColor: got.primaryColor, accentColor: got.accentColor, supportEmail: got.supportEmail, footer: got.footer, publicUrl: got.publicUrl },
      { ...full, primaryColor: '#0b3d91', publicUrl: gw.baseUrl },
      'colours are stored in lower case, the URL without its trailing slash',
    );
    assert.equal(got.updatedBy, 'user:admin');
    assert.equal((await put({ name: 'Only a name' })).status, 200);
    const partial = (await (await api('/api/v1/branding')).json()) as Record<string, unknown>;
    assert.deepEqual({ name: partial.name, primaryColor: partial.primaryColor, accentColor: partial.accentColor, supportEmail: partial.supportEmail, footer: partial.footer, publicUrl: partial.publicUrl }, { ...DEFAULTS, name: 'Only a name' });
    const events = (await (await api('/api/v1/audit/events?type=branding.changed&format=json')).json()) as Array<{ type: string; actor: string; details: { changes: Array<{ field: string }> } }>;
    assert.equal(events.length, 2);
    assert.ok(events.every((e) => e.type === 'branding.changed'));
    assert.ok(events.some((e) => e.details.changes.some((c) => c.field === 'supportEmail')));
  });

  it('refuses bad fields with 400 naming the field, and colours below WCAG AA with 422 naming the pair and its ratio', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ primaryColor: 'red' }, 'primaryColor'],
      [{ accentColor: '#12345' }, 'accentColor'],
      [{ name: 'a'.repeat(101) }, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'two\nlines' }, 'name'],
      [{ name: 'nul\u0000here' }, 'name'],
      [{ footer: 'lone \ud800 surrogate' }, 'footer'],
      [{ footer: 'x'.repeat(501) }, 'footer'],
      [{ supportEmail: 'not an email' }, 'supportEmail'],
      [{ publicUrl: 'ftp://files.example.com' }, 'publicUrl'],
      [{ publicUrl: 'https://user:pw@files.example.com' }, 'publicUrl'],
      [{ publicUrl: 'https://files.example.com/?a=b' }, 'publicUrl'],
      [{ publicUrl: 'https://files.example.com/#top' }, 'publicUrl'],
      [{ publicUrl: '/relative' }, 'publicUrl'],
      [{ colour: '#000000' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const res = await put(body);
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.status}`);
      const err = (await res.json()) as { code: string; message: string };
      assert.ok(err.message.includes(field), `${JSON.stringify(body)}: ${err.message}`);
      assert.ok(!/\n\s+at /.test(err.message));
    }
    const yellow = await put({ primaryColor: '#ffff00' });
    assert.equal(yellow.status, 422);
    const err = (await yellow.json()) as { code: string; message: string };
    assert.equal(err.code, 'branding_contrast');
    assert.match(err.message, /primaryColor #ffff00 with white text \(the page header\) has a contrast of 1\.07:1; at least 4\.5:1 is needed/);
    const accent = (await (await put({ accentColor: '#3399ff' })).json()) as { code: string; message: string };
    assert.equal(accent.code, 'branding_contrast');
    assert.match(accent.message, /accentColor #3399ff with white text \(buttons\) has a contrast of 2\.94:1; at least 4\.5:1 is needed/);
    assert.equal((await (await api('/api/v1/branding')).json() as { name: string }).name, 'Only a name', 'nothing refused was saved');
  });

  it('re-encodes PNG and JPEG logos as PNG without their metadata, serves them inert, and makes a favicon', async () => {
    const exif = { IFD0: { ImageDescription: 'SECRET-EXIF-COMMENT', Copyright: 'SECRET-EXIF-COMMENT' } };
    const png = await sharp({ create: { width: 300, height: 120, channels: 3, background: '#0b3d91' } }).withExif(exif).png().toBuffer();
    const jpeg = await sharp({ create: { width: 2000, height: 800, channels: 3, background: '#7a1f5c' } }).withExif(exif).jpeg().toBuffer();
    assert.ok(png.includes('SECRET-EXIF-COMMENT') && jpeg.includes('SECRET-EXIF-COMMENT'), 'the uploads carry the comment');
    for (const [bytes, type, width] of [[png, 'image/png', 300], [jpeg, 'image/jpeg', 512]] as const) {
      const res = await putLogo(bytes, type);
      assert.equal(res.status, 200, await res.clone().text());
      const view = (await res.json()) as { logoUrl: string; faviconUrl: string };
      assert.match(view.logoUrl, /^\/branding\/logo\?v=[0-9a-f]{16}$/);
      const served = await fetch(`${gw.baseUrl}${view.logoUrl}`);
      assert.equal(served.status, 200);
      assert.equal(served.headers.get('content-type'), 'image/png');
      assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
      assert.match(served.headers.get('content-security-policy') ?? '', /sandbox/);
      assert.match(served.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.ok(served.headers.get('etag'));
      assert.match(served.headers.get('cache-control') ?? '', /immutable/);
      const bytesOut = Buffer.from(await served.arrayBuffer());
      const meta = await sharp(bytesOut).metadata();
      assert.equal(meta.format, 'png');
      assert.equal(meta.width, width, 'scaled into 512×512 when larger');
      assert.equal(meta.exif, undefined);
      assert.ok(!bytesOut.includes('SECRET-EXIF-COMMENT'), 'the metadata is gone');
      const again = await fetch(`${gw.baseUrl}/branding/logo`, { headers: { 'if-none-match': served.headers.get('etag')! } });
      assert.equal(again.status, 304);
      const icon = await fetch(`${gw.baseUrl}${view.faviconUrl}`);
      assert.equal(icon.status, 200);
      assert.equal(icon.headers.get('content-type'), 'image/png');
      const iconMeta = await sharp(Buffer.from(await icon.arrayBuffer())).metadata();
      assert.deepEqual([iconMeta.format, iconMeta.width, iconMeta.height], ['png', 64, 64]);
    }
    const events = (await (await api('/api/v1/audit/events?type=branding.logo_changed&format=json')).json()) as unknown[];
    assert.equal(events.length, 2);
  });

  it('refuses logos over the limit (413), of another type (415) and that are not what they claim (422)', async () => {
    const noise = await sharp(Buffer.from(Array.from({ length: 800 * 800 * 3 }, (_, i) => (i * 7919) % 251)), { raw: { width: 800, height: 800, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
    assert.ok(noise.length > 512 * 1024);
    const big = await putLogo(noise, 'image/png');
    assert.equal(big.status, 413);
    assert.match(((await big.json()) as { message: string }).message, /512 KiB/);
    // Sent in chunks without a declared length: refused once the bytes read pass the limit.
    const chunked = await api('/api/v1/branding/logo', {
      method: 'PUT',
      headers: { 'content-type': 'image/png' },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < noise.length; i += 64 * 1024) {
            c.enqueue(new Uint8Array(noise.subarray(i, i + 64 * 1024)));
          }
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 413);
    assert.equal(((await chunked.json()) as { code: string }).code, 'branding_logo_too_large');
    const gif = await putLogo('GIF89a....', 'image/gif');
    assert.equal(gif.status, 415);
    assert.match(((await gif.json()) as { message: string }).message, /image\/png, image\/jpeg or image\/svg\+xml/);
    const garbage = await putLogo('this is not an image at all', 'image/png');
    assert.equal(garbage.status, 422);
    const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } }).png().toBuffer();
    const lying = await putLogo(png, 'image/jpeg');
    assert.equal(lying.status, 422);
    assert.match(((await lying.json()) as { message: string }).message, /sent as image\/jpeg but is a PNG image/);
    const svgAsPng = await putLogo('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', 'image/png');
    assert.equal(svgAsPng.status, 422);
    const pngAsSvg = await putLogo(png, 'image/svg+xml');
    assert.equal(pngAsSvg.status, 422);
    // A small file that decodes into 10000 × 10000 pixels.
    const bomb = await sharp({ create: { width: 10000, height: 10000, channels: 3, background: '#fff' } }).png({ compressionLevel: 9 }).toBuffer();
    const bombed = await putLogo(bomb, 'image/png');
    assert.equal(bombed.status, 422);
    assert.match(((await bombed.json()) as { message: string }).message, /too many pixels/);
  });

  it('sanitises an SVG logo: no script, handler, javascript: link, external image or use, foreignObject or external url()', async () => {
    const svg = `<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="120" height="40" viewBox="0 0 120 40" onload="alert('onload')">
  <script>alert('script')</script>
  <style>rect { fill: url(http://evil.example/style.svg#p) }</style>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#0b3d91"/><stop offset="1" stop-color="#7a1f5c"/></linearGradient></defs>
  <rect width="120" height="40" fill="url(#g)" onclick="alert('click')" style="stroke: url(http://evil.example/stroke)"/>
  <a href="javascript:alert('href')"><text x="8" y="26" fill="#fff">Acme</text></a>
  <a xlink:href="javascript:alert('xlink')"><circle cx="100" cy="20" r="8" fill="#fff"/></a>
  <image href="https://evil.example/tracker.png" width="1" height="1"/>
  <use href="http://evil.example/sprite.svg#icon"/>
  <use xlink:href="#g"/>
  <foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">html</div></foreignObject>
  <animate attributeName="href" to="javascript:alert('anim')"/>
</svg>`;
    const res = await putLogo(svg, 'image/svg+xml');
    assert.equal(res.status, 200, await res.clone().text());
    const served = await fetch(`${gw.baseUrl}/branding/logo`);
    assert.equal(served.headers.get('content-type'), 'image/svg+xml');
    assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
    assert.match(served.headers.get('content-security-policy') ?? '', /sandbox/);
    const text = await served.text();
    for (const bad of ['<script', 'onload', 'onclick', 'javascript:', 'evil.example', '<image', 'foreignObject', '<style', '<animate', 'alert(']) {
      assert.ok(!text.includes(bad), `${bad} is gone from ${text}`);
    }
    assert.ok(text.includes('<svg') && text.includes('fill="url(#g)"') && text.includes('Acme'), 'the drawing itself stays');
    const meta = await sharp(Buffer.from(text)).metadata();
    assert.equal(meta.format, 'svg', 'and still parses as SVG');
    const icon = await fetch(`${gw.baseUrl}/branding/favicon`);
    assert.equal(icon.status, 200);
    assert.equal((await sharp(Buffer.from(await icon.arrayBuffer())).metadata()).width, 64);
  });

  it('HTML and template syntax in the name and footer stay inert text on the recipient, error and sign-in pages and in emails; colours reach pages as theme.css', async () => {
    assert.equal((await put({ name: HOSTILE_NAME, footer: HOSTILE_FOOTER, primaryColor: '#0b3d91', accentColor: '#7a1f5c', supportEmail: 'help@acme.example', publicUrl: gw.baseUrl })).status, 200);
    const created = await createSendLink(gw.baseUrl, employee, [{ name: 'plan.txt', content: 'plan' }], { recipients: 'frank@partner.example' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const grantUrl = created.body.grants[0]!.url;
    const escapedName = '&lt;script&gt;alert(1)&lt;/script&gt; {{constructor}} &quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(2)&gt;';
    const escapedFooter = 'Footer {{#each this}}x{{/each}} &lt;b onmouseover&#x3D;&quot;alert(3)&quot;&gt;bold&lt;/b&gt; &quot;&gt;&lt;img onerror&#x3D;alert(4)&gt;';
    const pages = [
      ['recipient page', grantUrl, 200],
      ['404 page', `${gw.baseUrl}/l/not-a-real-token-at-all-aaaaaaaaaaaaaaaa`, 404],
      ['sign-in page', `${gw.baseUrl}/auth/login`, 200],
    ] as const;
    for (const [what, url, status] of pages) {
      const res = await fetch(url, { headers: { accept: 'text/html' } });
      assert.equal(res.status, status, what);
      const html = await res.text();
      // Handlebars writes = as &#x3D; in attributes; the browser reads both alike.
      const attrs = html.replaceAll('&#x3D;', '=');
      assert.ok(html.includes(escapedName), `${what}: the name, escaped`);
      assert.ok(!html.includes('<script>alert(1)') && !html.includes('<img src=x') && !html.includes('onerror=alert'), `${what}: nothing of it is markup`);
      assert.match(html, /<title>[^<]+ · &lt;script&gt;alert\(1\)/, `${what}: the title carries it`);
      assert.match(attrs, /<link rel="stylesheet" href="\/branding\/theme\.css\?v=\d+">/, what);
      assert.match(attrs, /<img class="logo" src="\/branding\/logo\?v=[0-9a-f]{16}" alt="">/, `${what}: the logo`);
      assert.match(attrs, /<link rel="icon" href="\/branding\/favicon\?v=[0-9a-f]{16}" type="image\/png">/, what);
      if (what !== 'sign-in page') {
        assert.ok(html.includes(escapedFooter), `${what}: the footer, escaped`);
        assert.ok(html.includes('mailto:help@acme.example'), `${what}: the support address`);
      }
      assert.ok(!html.includes(' style='), `${what}: no inline style (the CSP allows none)`);
    }
    const theme = await fetch(`${gw.baseUrl}/branding/theme.css`);
    assert.equal(theme.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal(await theme.text(), ':root { --primary: #0b3d91; --accent: #7a1f5c; }\n');
    const json = (await (await fetch(`${gw.baseUrl}/branding.json`)).json()) as Record<string, unknown>;
    assert.equal(json.name, HOSTILE_NAME, 'the staff app gets it as JSON text (React escapes it)');
    assert.deepEqual(Object.keys(json).sort(), ['accentColor', 'faviconUrl', 'footer', 'logoUrl', 'name', 'primaryColor', 'supportEmail', 'themeUrl']);

    const mail = await sink.latest('frank@partner.example', /sent you a file/);
    assert.equal(mail.raw.from?.value[0]?.name, HOSTILE_NAME, 'the From display name is the brand name, as text');
    assert.equal(mail.raw.from?.value[0]?.address, 'no-reply@localhost');
    assert.ok(mail.html.includes(escapedName), 'the HTML body carries the name, escaped');
    assert.ok(mail.html.includes(escapedFooter), 'and the footer, escaped');
    assert.ok(!mail.html.includes('<script>alert(1)') && !mail.html.includes('onerror=alert'));
    assert.ok(mail.html.includes('background:#0b3d91'), 'the header has the primary colour');
    assert.match(mail.html.replaceAll('&#x3D;', '='), new RegExp(`<img src="${gw.baseUrl.replace(/[.:/]/g, '\\$&')}/branding/logo\\?v=[0-9a-f]{16}"`), 'and the logo, by absolute URL');
    assert.ok(mail.text.includes(`through ${HOSTILE_NAME}.`), 'the text body carries the name as plain text');
    assert.ok(mail.text.includes(HOSTILE_FOOTER), 'and the footer');
  });

  it('DELETE removes the logo: pages and the API show none, and /branding/logo answers 404', async () => {
    const res = await api('/api/v1/branding/logo', { method: 'DELETE' });
    assert.equal(res.status, 204);
    assert.equal((await fetch(`${gw.baseUrl}/branding/logo`)).status, 404);
    assert.equal((await fetch(`${gw.baseUrl}/branding/favicon`)).status, 404);
    assert.equal(((await (await api('/api/v1/branding')).json()) as { logoUrl: unknown }).logoUrl, null);
    const login = await (await fetch(`${gw.baseUrl}/auth/login`)).text();
    assert.ok(!login.includes('class="logo"'));
    assert.ok(login.includes('href="/static/favicon.svg"'));
    assert.equal((await api('/api/v1/branding/logo', { method: 'DELETE' })).status, 404);
    const events = (await (await api('/api/v1/audit/events?type=branding.logo_removed&format=json')).json()) as unknown[];
    assert.equal(events.length, 1);
  });
});
