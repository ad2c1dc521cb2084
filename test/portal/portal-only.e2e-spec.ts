// database-neutral: error shapes (404, 400, 413) of the portal-only process: protocol only
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { TestGateway } from '@mft/testing';

/** The recipient portal run alone (`node dist/apps/portal/main.js`), as a replica facing the internet. */
describe('the portal-only process', () => {
  let gw: TestGateway;
  const token = 'A'.repeat(43);

  before(async () => {
    gw = await TestGateway.start({ entry: 'dist/apps/portal/main.js' });
  });
  after(async () => gw?.stop());

  /** The body of an error, checked to be the contract's `{ code, message }` and never Nest's `{ statusCode, error, message }`. */
  async function contractError(res: Response): Promise<{ code: string; message: string }> {
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['code', 'message'], JSON.stringify(body));
    assert.equal(typeof body.message, 'string');
    assert.ok((body.message as string).length > 0);
    return body as { code: string; message: string };
  }

  it('an unknown route answers 404 in the contract shape, whatever the client accepts', async () => {
    for (const accept of ['application/json', 'text/html', '*/*']) {
      const res = await fetch(`${gw.baseUrl}/no/such/route`, { headers: { accept } });
      assert.equal(res.status, 404, accept);
      assert.deepEqual(await contractError(res), { code: 'not_found', message: 'Cannot GET /no/such/route' });
    }
    const api = await fetch(`${gw.baseUrl}/api/v1/links`, { method: 'POST' });
    assert.equal(api.status, 404, 'the API is not served by the portal');
    assert.deepEqual(await contractError(api), { code: 'not_found', message: 'Cannot POST /api/v1/links' });
  });

  it('a malformed JSON body answers 400 in the contract shape', async () => {
    const res = await fetch(`${gw.baseUrl}/l/${token}/unlock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: '{"password":',
    });
    assert.equal(res.status, 400);
    assert.equal((await contractError(res)).code, 'bad_request');
  });

  it('a body declared larger than the limit answers 413 in the contract shape, before it is sent', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${gw.baseUrl}/l/${token}/unlock`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(status, 413);
    assert.deepEqual(JSON.parse(body), { code: 'body_too_large', message: 'The request body may be at most 1048576 bytes.', maxBytes: 1048576 });
  });

  it('a recipient refusal is still a page for browsers and the contract shape for scripts', async () => {
    const json = await fetch(`${gw.baseUrl}/l/${token}`, { headers: { accept: 'application/json' } });
    assert.equal(json.status, 404);
    assert.deepEqual(await contractError(json), { code: 'link_not_found', message: 'There is no link at this address. Check that you copied the whole link.' });
    const page = await fetch(`${gw.baseUrl}/l/${token}`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 404);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /There is no link at this address/);
  });
});
