import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway } from '@mft/testing';

/**
 * File names as recipients and senders see them: control and format characters (bidi overrides,
 * zero-width characters, line and paragraph separators) never reach a stored name, so
 * `invoice\u202Efdp.exe` cannot pass for "invoiceexe.pdf"; the name as uploaded stays in the audit.
 */
describe('file names without control or format characters', () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await TestGateway.start();
    token = await gw.token();
  });
  after(async () => gw?.stop());

  /** Uploads files in a multipart body written byte for byte (FormData would rewrite some names). */
  async function upload(files: ReadonlyArray<{ name: string; content: string }>): Promise<{ status: number; body: { id: string; code?: string; grants: Array<{ url: string }> } }> {
    const boundary = 'names-boundary-7d1f';
    const parts = files.map((f) =>
      Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${f.name}"\r\nContent-Type: text/plain\r\n\r\n`, 'utf8'),
        Buffer.from(f.content),
        Buffer.from('\r\n'),
      ]),
    );
    const res = await fetch(`${gw.baseUrl}/api/v1/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
    });
    return { status: res.status, body: (await res.json()) as { id: string; code?: string; grants: Array<{ url: string }> } };
  }

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${gw.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    return (await res.json()) as T;
  };

  it('a right-to-left override and zero-width characters are removed from the stored name; the audit keeps the original with those characters written out', async () => {
    const spoof = 'invoice\u202Efdp.exe';
    const hidden = 're\u200Bport\u200D\uFEFF\u2060.pdf';
    const lines = 'minutes\u2028of\u2029today.txt';
    const plain = 'plain name.txt';
    const created = await upload([
      { name: spoof, content: 'MZ' },
      { name: hidden, content: 'pdf' },
      { name: lines, content: 'text' },
      { name: plain, content: 'plain' },
    ]);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const expected = ['invoicefdp.exe', 'report.pdf', 'minutesoftoday.txt', plain];

    const link = await api<{ files: Array<{ name: string }> }>(`/api/v1/links/${created.body.id}`);
    assert.deepEqual(
      link.files.map((f) => f.name),
      expected,
    );
    const recipient = (await (await fetch(created.body.grants[0]!.url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ name: string }> };
    assert.deepEqual(
      recipient.files.map((f) => f.name),
      expected,
    );
    const page = await (await fetch(created.body.grants[0]!.url, { headers: { accept: 'text/html' } })).text();
    assert.ok(page.includes('invoicefdp.exe'));
    for (const c of ['\u202E', '\u200B', '\u200D', '\uFEFF', '\u2060', '\u2028', '\u2029']) {
      assert.ok(!page.includes(c), `U+${c.codePointAt(0)!.toString(16).toUpperCase()} does not reach the page`);
    }

    const [event] = await api<Array<{ details: { files: Array<{ name: string; originalName?: string }> } }>>(
      `/api/v1/audit/events?linkId=${created.body.id}&type=link.created`,
    );
    assert.deepEqual(
      event!.details.files.map((f) => ({ name: f.name, originalName: f.originalName })),
      [
        { name: 'invoicefdp.exe', originalName: 'invoice\\u202Efdp.exe' },
        { name: 'report.pdf', originalName: 're\\u200Bport\\u200D\\uFEFF\\u2060.pdf' },
        { name: 'minutesoftoday.txt', originalName: 'minutes\\u2028of\\u2029today.txt' },
        { name: plain, originalName: undefined },
      ],
    );
  });

  it('a name made only of invisible characters is refused like a missing name', async () => {
    const created = await upload([{ name: '\u202E\u200B\u2028', content: 'x' }]);
    assert.equal(created.status, 400, JSON.stringify(created.body));
    assert.equal(created.body.code, 'file_name_missing');
  });
});
