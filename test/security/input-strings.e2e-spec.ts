import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSendLink, jsonHeaders, TestGateway } from '@mft/testing';

const NUL = 'a\u0000b';
const LONE_SURROGATE = 'a\ud800b';
const REASON = 'contains a character that is not allowed (NUL or an unpaired surrogate)';

const json = (token: string): Record<string, string> => jsonHeaders(token, { accept: 'application/json' });

/** The answer every route gives to text it cannot store: 400, `invalid_request`, the field named. */
async function assertRefused(res: Response, field: string): Promise<void> {
  const body = (await res.json()) as { code: string; message: string; field: string };
  assert.equal(res.status, 400, JSON.stringify(body));
  assert.deepEqual(body, { code: 'invalid_request', message: `The request is not valid: ${field} ${REASON}.`, field });
}

/** A multipart body written by hand, so a field can carry bytes in the charset its part declares. */
function multipart(parts: Array<{ name: string; value: Buffer; contentType?: string; filename?: string }>): { body: Buffer; type: string } {
  const boundary = 'input-strings-boundary';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.contentType ? `Content-Type: ${p.contentType}\r\n` : ''}\r\n`), p.value, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

describe('text that cannot be stored (NUL, unpaired surrogates) is refused at the edge with a 400 naming the field', () => {
  let gw: TestGateway;
  let admin: string;

  before(async () => {
    gw = await TestGateway.start();
    admin = await gw.token();
  });
  after(async () => gw?.stop());

  for (const [what, bad] of [
    ['a NUL', NUL],
    ['an unpaired surrogate', LONE_SURROGATE],
  ] as const) {
    it(`a token name with ${what} answers 400 naming "name", and no token is created`, async () => {
      const res = await fetch(`${gw.baseUrl}/api/v1/tokens`, { method: 'POST', headers: json(admin), body: JSON.stringify({ name: bad, scopes: ['links:read'] }) });
      await assertRefused(res, 'name');
      const list = (await (await fetch(`${gw.baseUrl}/api/v1/tokens`, { headers: json(admin) })).json()) as Array<{ name: string }>;
      assert.ok(list.every((t) => t.name !== bad));
    });

    it(`a policy group name with ${what} answers 400 naming the group, and the policy is unchanged`, async () => {
      const res = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: json(admin), body: JSON.stringify({ groups: { [bad]: { expiry: { maxDays: 1 } } } }) });
      await assertRefused(res, `groups.${JSON.stringify(bad)}`);
      const now = await fetch(`${gw.baseUrl}/api/v1/policy`, { headers: json(admin) });
      assert.equal(now.headers.get('etag'), '"policy-v0"');
    });

    it(`a policy setting holding ${what} deep in the document answers 400 naming its path`, async () => {
      const res = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: json(admin), body: JSON.stringify({ recipients: { blockedDomains: ['example.com', bad] } }) });
      await assertRefused(res, 'recipients.blockedDomains.1');
    });
  }

  it('a policy group named __proto__ answers 400 naming the group, and the stricter rule is not silently lost', async () => {
    const res = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: json(admin), body: '{"groups": {"finance": {"expiry": {"maxDays": 7}}, "__proto__": {"expiry": {"maxDays": 1}}}}' });
    const body = (await res.json()) as { code: string; message: string; problems: Array<{ path: string; message: string }> };
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(body.code, 'policy_invalid');
    assert.equal(body.problems.length, 1);
    assert.equal(body.problems[0]!.path, 'groups');
    assert.match(body.problems[0]!.message, /^the group name "__proto__" is not allowed: /);
    const now = await fetch(`${gw.baseUrl}/api/v1/policy`, { headers: json(admin) });
    assert.equal(now.headers.get('etag'), '"policy-v0"');
  });

  it('GET /api/v1/policy/effective?user= with a NUL answers 400 naming "user"', async () => {
    const res = await fetch(`${gw.baseUrl}/api/v1/policy/effective?user=a%00b`, { headers: json(admin) });
    await assertRefused(res, 'user');
  });

  it('a link message with a NUL answers 400 naming "message", and no link is created', async () => {
    const res = await createSendLink(gw.baseUrl, admin, [{ name: 'a.txt', content: 'abc' }], { message: NUL });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.deepEqual(res.body, { code: 'invalid_request', message: `The request is not valid: message ${REASON}.`, field: 'message' });
    const links = (await (await fetch(`${gw.baseUrl}/api/v1/links`, { headers: json(admin) })).json()) as unknown[];
    assert.equal(links.length, 0);
  });

  it('a link message with an unpaired surrogate (a UTF-16 form field) answers 400 naming "message", after the file too', async () => {
    const form = multipart([
      { name: 'file', value: Buffer.from('abc'), filename: 'a.txt', contentType: 'text/plain' },
      // "a", U+D800 alone, "b" in UTF-16LE: a charset the form may declare per field.
      { name: 'message', value: Buffer.from([0x61, 0x00, 0x00, 0xd8, 0x62, 0x00]), contentType: 'text/plain; charset=utf-16le' },
    ]);
    const res = await fetch(`${gw.baseUrl}/api/v1/links`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': form.type }, body: form.body });
    await assertRefused(res, 'message');
    const links = (await (await fetch(`${gw.baseUrl}/api/v1/links`, { headers: json(admin) })).json()) as unknown[];
    assert.equal(links.length, 0);
  });

  it('the same rule holds on routes with no text field of their own: a query parameter, a path parameter, a recipient form', async () => {
    await assertRefused(await fetch(`${gw.baseUrl}/api/v1/links?before=2030%00`, { headers: json(admin) }), 'before');
    await assertRefused(await fetch(`${gw.baseUrl}/api/v1/audit/events?type=a%00`, { headers: json(admin) }), 'type');
    await assertRefused(await fetch(`${gw.baseUrl}/l/abc%00def`, { headers: { accept: 'application/json' } }), 'token');

    const link = await createSendLink(gw.baseUrl, admin, [{ name: 'a.txt', content: 'abc' }], { password: 'correct horse battery' });
    assert.equal(link.status, 201, JSON.stringify(link.body));
    const page = new URL(link.body.grants[0]!.url);
    const unlock = await fetch(`${gw.baseUrl}${page.pathname}/unlock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ password: LONE_SURROGATE }),
    });
    await assertRefused(unlock, 'password');
    const email = await fetch(`${gw.baseUrl}${page.pathname}/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'email=a%00@example.com',
    });
    await assertRefused(email, 'email');
  });
});
