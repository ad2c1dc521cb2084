import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createSendLink, jsonHeaders, rawRequest, S3_TEST_CREDENTIALS, s3ConnectionBody, sftpConnectionBody, SshServer, TestGateway, TestS3Server } from '@mft/testing';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * The gateway over its remote storage connections, end to end over HTTP: a real s3rver and a real
 * OpenSSH sshd, connections made through the API, a send link whose copy lives in S3, and a file
 * share and a folder share on each driver.
 */
describe('S3 and SFTP storage connections end to end', () => {
  let gw: TestGateway;
  let admin: string;
  let s3: TestS3Server;
  let sshd: SshServer;
  let raw: S3Client;
  let sftpRoot: string;
  const connections: Record<'s3' | 'sftp', string> = { s3: '', sftp: '' };
  const content = { 'report.bin': randomBytes(700 * 1024 + 3), 'sub/notes.txt': Buffer.from('notes, in a subfolder\n') };

  const api = async (path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${gw.baseUrl}${path}`, { method, headers: jsonHeaders(admin), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  before(async () => {
    [gw, s3, sshd] = await Promise.all([TestGateway.start(), TestS3Server.start(), SshServer.start()]);
    admin = await gw.token();
    raw = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { ...S3_TEST_CREDENTIALS } });
    for (const [name, bytes] of Object.entries(content)) {
      await raw.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `tenant/docs/${name}`, Body: bytes }));
    }
    sftpRoot = mkdtempSync(join(sshd.dir, 'root-'));
    for (const [name, bytes] of Object.entries(content)) {
      mkdirSync(join(sftpRoot, 'docs', 'sub'), { recursive: true });
      writeFileSync(join(sftpRoot, 'docs', name), bytes);
    }
    const madeS3 = await api('/api/v1/connections', s3ConnectionBody(s3));
    assert.equal(madeS3.status, 201, JSON.stringify(madeS3.body));
    connections.s3 = madeS3.body.id as string;
    const madeSftp = await api('/api/v1/connections', sftpConnectionBody(sshd, sftpRoot));
    assert.equal(madeSftp.status, 201, JSON.stringify(madeSftp.body));
    connections.sftp = madeSftp.body.id as string;
  });
  after(async () => {
    raw?.destroy();
    await gw?.stop();
    await Promise.all([s3?.close(), sshd?.close()]);
  });

  it('answers secrets never, and a test of each connection says ok', async () => {
    for (const id of Object.values(connections)) {
      const got = await api(`/api/v1/connections/${id}`);
      assert.equal(got.status, 200);
      const text = JSON.stringify(got.body);
      assert.ok(!text.includes(S3_TEST_CREDENTIALS.secretAccessKey) && !text.includes('PRIVATE KEY'), 'no secret in the answer');
      const tested = await api(`/api/v1/connections/${id}/test`, {});
      assert.deepEqual([tested.status, tested.body.ok], [200, true], JSON.stringify(tested.body));
    }
  });

  it('refuses an SFTP connection whose host key is not the pinned one, and creates nothing', async () => {
    const before = ((await api('/api/v1/connections')).body as unknown as unknown[]).length;
    const wrong = await api('/api/v1/connections', {
      name: 'Impostor',
      kind: 'sftp',
      settings: { host: '127.0.0.1', port: sshd.port, username: sshd.username, root: sftpRoot, hostKeySha256: `SHA256:${Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '')}`, allowLoopback: true },
      secrets: { privateKey: sshd.privateKey },
    });
    assert.equal(wrong.status, 422, JSON.stringify(wrong.body));
    assert.equal(((await api('/api/v1/connections')).body as unknown as unknown[]).length, before);
  });

  it('keeps send copies in S3 once it is the send storage, and serves them back byte for byte', async () => {
    const chosen = await api('/api/v1/settings/send-storage', { connectionId: connections.s3 }, 'PUT');
    assert.equal(chosen.status, 200, JSON.stringify(chosen.body));
    try {
      const bytes = randomBytes(2 * 1024 * 1024 + 11);
      const link = (await createSendLink(gw.baseUrl, admin, [{ name: 'to-s3.bin', content: bytes }])).body;
      const page = (await (await fetch(link.grants[0]!.url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
      const got = await rawRequest(`${link.grants[0]!.url}/files/${page.files[0]!.id}`);
      assert.equal(got.status, 200);
      assert.equal(sha(got.body), sha(bytes));
      const ready = await fetch(`${gw.baseUrl}/readyz`);
      assert.equal(ready.status, 200, 'the S3 send storage is ready');
    } finally {
      await api('/api/v1/settings/send-storage', { connectionId: 'default' }, 'PUT');
    }
  });

  for (const kind of ['s3', 'sftp'] as const) {
    it(`${kind}: a file share serves the file's bytes, whole and by Range`, async () => {
      const made = await api('/api/v1/links', { kind: 'share', connectionId: connections[kind], path: '/docs/report.bin' });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const url = (made.body.grants as Array<{ url: string }>)[0]!.url;
      const page = (await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string; size: number }> };
      assert.equal(page.files[0]!.size, content['report.bin'].length);
      const whole = await rawRequest(`${url}/files/${page.files[0]!.id}`);
      assert.equal(whole.status, 200);
      assert.equal(sha(whole.body), sha(content['report.bin']));
      const part = await rawRequest(`${url}/files/${page.files[0]!.id}`, { headers: { range: 'bytes=100-199' } });
      assert.equal(part.status, 206);
      assert.ok(part.body.equals(content['report.bin'].subarray(100, 200)));
    });

    it(`${kind}: a folder share lists, serves one file and a zip that unzip accepts`, async () => {
      const made = await api('/api/v1/links', { kind: 'share', connectionId: connections[kind], path: '/docs' });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const url = (made.body.grants as Array<{ url: string }>)[0]!.url;
      const list = (await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as { entries: Array<{ name: string; kind: string; modifiedAt: string | null }> };
      assert.deepEqual(
        list.entries.map((e) => [e.name, e.kind]),
        [
          ['report.bin', 'file'],
          ['sub', 'folder'],
        ],
      );
      assert.ok(Date.parse(list.entries[0]!.modifiedAt!) > Date.parse('2020-01-01'), 'a file has its time');
      // An S3 folder is only a key prefix: it has no time, and the page shows a dash, not 1970.
      const folderTime = list.entries[1]!.modifiedAt;
      if (kind === 's3') {
        assert.equal(folderTime, null);
      } else {
        assert.ok(Date.parse(folderTime!) > Date.parse('2020-01-01'));
      }
      const html = await (await fetch(url)).text();
      assert.ok(!html.includes('1970'), 'no 1970 date on the page');
      const folderRow = /<tr role="row">\s*<td class="name"[^>]*><a [^>]*>sub\/<\/a><\/td>[\s\S]*?<td class="modified"[^>]*>([\s\S]*?)<\/td>/.exec(html);
      assert.ok(folderRow, 'the folder has a row');
      if (kind === 's3') {
        assert.equal(folderRow[1], '—');
      } else {
        assert.match(folderRow[1]!, /^<time datetime="[^"]+">[^<]+<\/time>$/);
      }
      const one = await rawRequest(`${url}/download?path=${encodeURIComponent('/sub/notes.txt')}`);
      assert.equal(one.status, 200);
      assert.ok(one.body.equals(content['sub/notes.txt']));
      const zip = await rawRequest(`${url}/archive`);
      assert.equal(zip.status, 200);
      assert.equal(zip.headers['content-length'], String(zip.body.length), 'the exact length was announced');
      const dir = mkdtempSync(join(tmpdir(), 'mft-remote-zip-'));
      try {
        writeFileSync(join(dir, 'a.zip'), zip.body);
        execFileSync('unzip', ['-tq', join(dir, 'a.zip')]);
        execFileSync('unzip', ['-q', join(dir, 'a.zip'), '-d', join(dir, 'out')]);
        assert.equal(sha(execFileSync('cat', [join(dir, 'out', 'report.bin')])), sha(content['report.bin']));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
