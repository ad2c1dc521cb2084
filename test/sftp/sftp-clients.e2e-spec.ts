import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, jsonHeaders, runSftp, TestGateway } from '@mft/testing';
import { linksOf, sftpUser, target, type SftpUser } from './sftp-fixtures.js';

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${cmd} did not finish:\n${out}`));
    }, timeoutMs);
    p.on('error', reject);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('other SFTP clients: lftp with an app password, rclone with a key', () => {
  let gw: TestGateway;
  let alice: SftpUser;
  let root: string;
  let appPassword: string;
  const work = mkdtempSync(join(tmpdir(), 'mft-sftp-clients-'));

  before(async () => {
    gw = await TestGateway.start({ env: { SFTP_PORT: 'auto', SFTP_QUIET_SECONDS: '1' } });
    const admin = await gw.token();
    root = mkdtempSync(join(tmpdir(), 'mft-clients-root-'));
    mkdirSync(join(root, 'shared'));
    writeFileSync(join(root, 'shared', 'readme.txt'), 'shared notes\n');
    const res = await fetch(`${gw.baseUrl}/api/v1/connections`, {
      method: 'POST',
      headers: jsonHeaders(admin),
      body: JSON.stringify({ name: 'Team', kind: 'local', settings: { root, shareRoots: [{ path: '/shared', roles: ['employee'], write: true }] } }),
    });
    assert.equal(res.status, 201, await res.text());
    alice = await sftpUser(gw, 'alice');
    const created = await fetch(`${gw.baseUrl}/api/v1/me/app-passwords`, { method: 'POST', headers: jsonHeaders(alice.token), body: JSON.stringify({ name: 'lftp' }) });
    assert.equal(created.status, 201);
    appPassword = ((await created.json()) as { password: string }).password;
  });
  after(async () => gw?.stop());

  const lftp = (script: string): Promise<{ code: number | null; out: string }> =>
    run('lftp', [
      '-c',
      [
        'set sftp:auto-confirm yes',
        'set net:max-retries 1',
        'set net:timeout 15',
        'set sftp:connect-program "ssh -a -x -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o PubkeyAuthentication=no"',
        `open -u alice,${appPassword} -p ${gw.sftpPort} sftp://127.0.0.1`,
        script,
        'bye',
      ].join('; '),
    ]);

  it('lftp signs in with an app password, drops a file that becomes a link, and reads and writes a mount', async () => {
    writeFileSync(join(work, 'lftp.txt'), 'sent with lftp\n');
    const before = (await linksOf(gw, alice.token)).length;
    const r = await lftp(`put ${join(work, 'lftp.txt')} -o /send/bob@partner.example/lftp.txt; cat /Team/shared/readme.txt; put ${join(work, 'lftp.txt')} -o /Team/shared/from-lftp.txt`);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /shared notes/);
    assert.equal(readFileSync(join(root, 'shared', 'from-lftp.txt'), 'utf8'), 'sent with lftp\n');
    const links = await eventually('the link', () => linksOf(gw, alice.token), (l) => l.length === before + 1);
    assert.deepEqual(links[0]!.files.map((f) => f.name), ['lftp.txt']);
  });

  it('lftp with a wrong app password is refused', async () => {
    const r = await run('lftp', ['-c', `set sftp:auto-confirm yes; set net:max-retries 1; set net:timeout 10; set sftp:connect-program "ssh -a -x -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o PubkeyAuthentication=no"; open -u alice,${'x'.repeat(32)} -p ${gw.sftpPort} sftp://127.0.0.1; ls /; bye`]);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /Login failed|Login incorrect/);
  });

  const rclone = (...args: string[]): Promise<{ code: number | null; out: string }> =>
    run('rclone', [...args, '--sftp-host', '127.0.0.1', '--sftp-port', String(gw.sftpPort), '--sftp-user', 'alice', '--sftp-key-file', alice.key.privateKeyFile, '--sftp-disable-hashcheck', '--retries', '1', '--low-level-retries', '1', '--config', '/dev/null']);

  it('rclone with a key copies into /send (one link) and lists and copies a mount', async () => {
    writeFileSync(join(work, 'rclone.txt'), 'sent with rclone\n');
    const before = (await linksOf(gw, alice.token)).length;
    const put = await rclone('copyto', join(work, 'rclone.txt'), ':sftp:/send/carol@partner.example/rclone.txt');
    assert.equal(put.code, 0, put.out);
    const links = await eventually('the link', () => linksOf(gw, alice.token), (l) => l.length === before + 1);
    assert.deepEqual(links[0]!.files.map((f) => f.name), ['rclone.txt']);
    const ls = await rclone('lsf', ':sftp:/Team/shared');
    assert.equal(ls.code, 0, ls.out);
    assert.match(ls.out, /readme\.txt/);
    const copy = await rclone('copyto', join(work, 'rclone.txt'), ':sftp:/Team/shared/from-rclone.txt');
    assert.equal(copy.code, 0, copy.out);
    assert.equal(readFileSync(join(root, 'shared', 'from-rclone.txt'), 'utf8'), 'sent with rclone\n');
    const back = join(work, 'back.txt');
    const get = await rclone('copyto', ':sftp:/Team/shared/readme.txt', back);
    assert.equal(get.code, 0, get.out);
    assert.equal(readFileSync(back, 'utf8'), 'shared notes\n');
  });
});

describe('two gateway replicas on one PostgreSQL, each with an SFTP ingress', () => {
  let one: TestGateway;
  let two: TestGateway;
  let alice: SftpUser;
  const work = mkdtempSync(join(tmpdir(), 'mft-sftp-replicas-'));

  before(async () => {
    one = await TestGateway.start({ database: 'postgres', env: { SFTP_PORT: 'auto', SFTP_QUIET_SECONDS: '1' } });
    two = await TestGateway.start({ share: one, env: { SFTP_PORT: 'auto', SFTP_QUIET_SECONDS: '1' } });
    alice = await sftpUser(one, 'alice');
  });
  after(async () => {
    await two?.stop();
    await one?.stop();
  });

  it('the ingress also runs alone (node dist/apps/sftp-ingress/main.js) on the same database', async () => {
    const alone = await TestGateway.start({ share: one, entry: 'dist/apps/sftp-ingress/main.js', env: { SFTP_PORT: 'auto' } });
    try {
      assert.equal((await fetch(`${alone.baseUrl}/readyz`)).status, 200);
      const r = await runSftp({ ...(await target(one, alice)), port: alone.sftpPort }, ['ls -1 /']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\/send/);
    } finally {
      await alone.stop();
    }
  });

  it('drops through both replicas create each link exactly once, and either replica lists both', async () => {
    const names = ['a.txt', 'b.txt', 'c.txt', 'd.txt'];
    for (const n of names) {
      writeFileSync(join(work, n), `file ${n}\n`);
    }
    const folder = '/send/dave@partner.example';
    const [r1, r2] = await Promise.all([
      runSftp(await target(one, alice), [`put ${join(work, 'a.txt')} ${folder}/a.txt`, `put ${join(work, 'b.txt')} ${folder}/b.txt`]),
      runSftp({ ...(await target(two, alice)), port: two.sftpPort }, [`put ${join(work, 'c.txt')} ${folder}/c.txt`, `put ${join(work, 'd.txt')} ${folder}/d.txt`]),
    ]);
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r2.code, 0, r2.stderr);
    const links = await eventually('two links', () => linksOf(one, alice.token), (l) => l.length === 2);
    await new Promise((r) => setTimeout(r, 2500));
    const settled = await linksOf(one, alice.token);
    assert.equal(settled.length, 2, 'exactly two links, one per replica batch');
    const files = settled.flatMap((l) => l.files.map((f) => f.name)).sort();
    assert.deepEqual(files, names, 'every file in exactly one link');
    void links;
    const ls = await runSftp({ ...(await target(two, alice)), port: two.sftpPort }, [`ls -1 ${folder}`]);
    for (const n of names) {
      assert.match(ls.stdout, new RegExp(`${n.replace('.', '\\.')}\\.link\\.txt`));
    }
  });
});
