import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { jsonHeaders, runSftp, S3_TEST_CREDENTIALS, s3ConnectionBody, TestGateway, TestS3Server } from '@mft/testing';
import { sftpUser, target, type SftpUser } from './sftp-fixtures.js';

const lines = (out: string): string[] => out.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('sftp>'));

describe('SFTP mounts of storage connections (OpenSSH client; a local folder and an S3 bucket)', () => {
  let gw: TestGateway;
  let s3: TestS3Server;
  let alice: SftpUser;
  let root: string;
  const work = mkdtempSync(join(tmpdir(), 'mft-sftp-mounts-'));
  const report = randomBytes(2 * 1024 * 1024 + 5);

  before(async () => {
    [gw, s3] = await Promise.all([TestGateway.start({ env: { SFTP_PORT: 'auto' } }), TestS3Server.start()]);
    const admin = await gw.token();
    root = mkdtempSync(join(tmpdir(), 'mft-mount-root-'));
    mkdirSync(join(root, 'public'));
    mkdirSync(join(root, 'inbox'));
    mkdirSync(join(root, 'private'));
    writeFileSync(join(root, 'public', 'report.bin'), report);
    writeFileSync(join(root, 'private', 'salaries.txt'), 'not for employees\n');
    const outside = mkdtempSync(join(tmpdir(), 'mft-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'outside the connection\n');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'public', 'escape.txt'));
    symlinkSync(outside, join(root, 'public', 'escape-dir'));
    const create = async (body: unknown): Promise<void> => {
      const res = await fetch(`${gw.baseUrl}/api/v1/connections`, { method: 'POST', headers: jsonHeaders(admin), body: JSON.stringify(body) });
      assert.equal(res.status, 201, await res.text());
    };
    await create({
      name: 'Projects',
      kind: 'local',
      settings: { root, shareRoots: [{ path: '/public', roles: ['employee'] }, { path: '/inbox', roles: ['employee'], write: true }] },
    });
    const s3body = s3ConnectionBody(s3, { name: 'Archive' });
    await create({ ...s3body, settings: { ...s3body.settings, shareRoots: [{ path: '/', roles: ['employee'], write: true }] } });
    alice = await sftpUser(gw, 'alice');
  });
  after(async () => {
    await gw?.stop();
    await s3?.close();
  });

  it('the root lists /send, /drop and the connections the user may share from; a mount shows only the share roots', async () => {
    const r = await runSftp(await target(gw, alice), ['ls -1 /', 'ls -1 /Projects']);
    assert.equal(r.code, 0, r.stderr);
    const out = lines(r.stdout);
    assert.ok(['/Archive', '/Projects', '/drop', '/send'].every((p) => out.includes(p)), out.join(' | '));
    assert.ok(out.includes('/Projects/public') && out.includes('/Projects/inbox'), out.join(' | '));
    assert.ok(!out.some((l) => l.includes('private')), 'a folder outside the share roots is not shown');
  });

  it('get reads the bytes, and reget continues a partial download from its offset', async () => {
    const local = join(work, 'report.bin');
    const r = await runSftp(await target(gw, alice), [`get /Projects/public/report.bin ${local}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(local).equals(report));
    truncateSync(local, 1024 * 1024 + 3);
    const again = await runSftp(await target(gw, alice), [`reget /Projects/public/report.bin ${local}`]);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(readFileSync(local).equals(report), 'the resumed file is whole');
  });

  it('a read-only share root refuses put, mkdir, rm and rename; the folder is unchanged', async () => {
    writeFileSync(join(work, 'note.txt'), 'hello\n');
    const r = await runSftp(await target(gw, alice), [
      `-put ${join(work, 'note.txt')} /Projects/public/note.txt`,
      '-mkdir /Projects/public/new',
      '-rm /Projects/public/report.bin',
      '-rename /Projects/public/report.bin /Projects/public/moved.bin',
    ]);
    assert.match(r.stderr, /Permission denied/);
    assert.equal(existsSync(join(root, 'public', 'note.txt')), false);
    assert.equal(existsSync(join(root, 'public', 'new')), false);
    assert.ok(readFileSync(join(root, 'public', 'report.bin')).equals(report));
  });

  it('where write is granted: put (whole or not at all), mkdir, rename and rm, each audited', async () => {
    const data = randomBytes(1024 * 1024 + 1);
    writeFileSync(join(work, 'upload.bin'), data);
    const r = await runSftp(await target(gw, alice), [
      `put ${join(work, 'upload.bin')} /Projects/inbox/upload.bin`,
      'mkdir /Projects/inbox/sub',
      `put ${join(work, 'upload.bin')} /Projects/inbox/sub/copy.bin`,
      'rename /Projects/inbox/sub/copy.bin /Projects/inbox/sub/renamed.bin',
      'ls -1 /Projects/inbox/sub',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(join(root, 'inbox', 'upload.bin')).equals(data));
    assert.ok(readFileSync(join(root, 'inbox', 'sub', 'renamed.bin')).equals(data));
    assert.equal(existsSync(join(root, 'inbox', 'sub', 'copy.bin')), false);
    const rm = await runSftp(await target(gw, alice), ['rm /Projects/inbox/sub/renamed.bin', 'rmdir /Projects/inbox/sub']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(existsSync(join(root, 'inbox', 'sub')), false);
    const admin = await gw.token();
    const audit = await (await fetch(`${gw.baseUrl}/api/v1/audit/events?type=sftp.file_written,sftp.file_renamed,sftp.file_deleted`, { headers: { authorization: `Bearer ${admin}` } })).text();
    for (const type of ['sftp.file_written', 'sftp.file_renamed', 'sftp.file_deleted']) {
      assert.match(audit, new RegExp(type.replace('.', '\\.')));
    }
  });

  it('paths cannot leave the tree: dot-dot, absolute paths, symlinks out of the connection and encoded names', async () => {
    const t = await target(gw, alice);
    for (const path of [
      '/Projects/public/../../../../etc/passwd',
      '/Projects/../../etc/passwd',
      '../../../../etc/passwd',
      '/etc/passwd',
      '/Projects/public/escape.txt',
      '/Projects/public/escape-dir/secret.txt',
      '/Projects/public/%2e%2e/private/salaries.txt',
      '/Projects/public/..%2fprivate/salaries.txt',
      '/Projects/private/salaries.txt',
      '/Projects/inbox/../private/salaries.txt',
    ]) {
      const local = join(work, 'stolen.txt');
      const r = await runSftp(t, [`get "${path}" ${local}`]);
      assert.notEqual(r.code, 0, `${path} was served`);
      assert.equal(existsSync(local), false, `${path} was written locally`);
    }
  });

  it('an S3 bucket mounts too: put, ls and get', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 9);
    writeFileSync(join(work, 's3.bin'), data);
    const back = join(work, 's3-back.bin');
    const r = await runSftp(await target(gw, alice), [`put ${join(work, 's3.bin')} /Archive/2026/s3.bin`, 'ls -l /Archive/2026', `get /Archive/2026/s3.bin ${back}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /s3\.bin/);
    assert.ok(readFileSync(back).equals(data));
    const client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { ...S3_TEST_CREDENTIALS } });
    const obj = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'tenant/2026/s3.bin' }));
    assert.equal(Number(obj.ContentLength), data.length);
    client.destroy();
  });
});
