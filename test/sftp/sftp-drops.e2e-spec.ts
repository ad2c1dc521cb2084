import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, runSftp, SmtpSink, startSftp, TestGateway } from '@mft/testing';
import { hostKeys, linksOf, sftpUser, target, type SftpUser } from './sftp-fixtures.js';

const FAST = { MAIL_POLL_SECONDS: '0.3', MAIL_RETRY_BASE_SECONDS: '0.3', MAIL_RETRY_MAX_SECONDS: '1', JOBS_INTERVAL_SECONDS: '0.5', SFTP_QUIET_SECONDS: '1' };

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('SFTP drops with the OpenSSH client: files dropped into /send/<recipients>/ become send links', () => {
  let sink: SmtpSink;
  let gw: TestGateway;
  let alice: SftpUser;
  const work = mkdtempSync(join(tmpdir(), 'mft-sftp-drops-'));

  before(async () => {
    sink = await SmtpSink.start();
    gw = await TestGateway.start({ env: { SFTP_PORT: 'auto', SMTP_URL: sink.url, MAIL_FROM: 'Files <files@corp.example>', ...FAST } });
    alice = await sftpUser(gw, 'alice');
  });
  after(async () => {
    await gw?.stop();
    await sink?.stop();
  });

  it('serves its Ed25519 and RSA host keys with SHA256 fingerprints, and the client signs in with them pinned', async () => {
    const res = await fetch(`${gw.baseUrl}/api/v1/sftp/host-key`);
    assert.equal(res.status, 200);
    const { keys } = (await res.json()) as { keys: Array<{ type: string; fingerprint: string }> };
    assert.deepEqual(keys.map((k) => k.type).sort(), ['ssh-ed25519', 'ssh-rsa']);
    for (const k of keys) {
      assert.match(k.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    }
    assert.match(gw.output(), new RegExp(keys[0]!.fingerprint.replace(/[+/]/g, '\\$&')), 'the fingerprints are printed at start');
    const r = await runSftp(await target(gw, alice), ['ls -1 /']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').filter((l) => l && !l.startsWith('sftp>')).map((l) => l.trim().replace(/^\//, '')).sort(), ['drop', 'send']);
  });

  it('negotiates strict key exchange and refuses CBC ciphers, SHA-1 MACs and SHA-1 key exchange', async () => {
    const base = await target(gw, alice);
    const strict = await runSftp({ ...base, options: ['LogLevel=DEBUG3'] }, ['ls /']);
    assert.equal(strict.code, 0, strict.stderr);
    assert.match(strict.stderr, /strict KEX|kex-strict-s-v00@openssh\.com/);
    for (const option of ['Ciphers=aes128-cbc', 'Ciphers=aes256-ctr', 'MACs=hmac-sha1', 'KexAlgorithms=diffie-hellman-group14-sha1', 'HostKeyAlgorithms=ssh-rsa']) {
      const r = await runSftp({ ...base, options: [option, ...(option.startsWith('MACs') ? ['Ciphers=aes256-ctr'] : [])] }, ['ls /']);
      if (option === 'Ciphers=aes256-ctr') {
        assert.equal(r.code, 0, `${option}: ${r.stderr}`);
      } else {
        assert.notEqual(r.code, 0, `${option} was accepted`);
        assert.match(r.stderr, /no matching|Unable to negotiate|Connection closed/i, option);
      }
    }
  });

  it('a file put into /send/a,b/ becomes one link with two grants: both recipients are emailed and <file>.link.txt holds their URLs', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 17);
    const local = join(work, 'report.bin');
    writeFileSync(local, content);
    const folder = '/send/bob@partner.example,carol@other.example';
    const before = (await linksOf(gw, alice.token)).length;
    const put = await runSftp(await target(gw, alice), [`mkdir ${folder}`, `put ${local} ${folder}/report.bin`]);
    assert.equal(put.code, 0, put.stderr);
    const links = await eventually('the link', () => linksOf(gw, alice.token), (l) => l.length === before + 1);
    const link = links[0]!;
    assert.deepEqual(link.files.map((f) => [f.name, f.size]), [['report.bin', content.length]]);
    assert.deepEqual(link.grants.map((g) => g.recipient).sort(), ['bob@partner.example', 'carol@other.example']);
    await sink.latest('bob@partner.example', /.*/);
    await sink.latest('carol@other.example', /.*/);

    const got = join(work, 'report.bin.link.txt');
    const get = await runSftp(await target(gw, alice), [`ls -l ${folder}`, `get ${folder}/report.bin.link.txt ${got}`]);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /-r--r--r--.* report\.bin\n/);
    const lines = readFileSync(got, 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    const urls = new Map(lines.map((l) => l.split(' ') as [string, string]));
    assert.deepEqual([...urls.keys()].sort(), ['bob@partner.example', 'carol@other.example']);
    // The recipient downloads the very bytes that were dropped.
    const dl = await fetch(`${urls.get('bob@partner.example')!}/files/${link.files[0]!.id}`);
    assert.equal(dl.status, 200);
    assert.equal(createHash('sha256').update(Buffer.from(await dl.arrayBuffer())).digest('hex'), createHash('sha256').update(content).digest('hex'));
  });

  it('several files put in one session within the quiet period become one link with several files', async () => {
    const folder = '/send/dave@partner.example';
    const names = ['one.txt', 'two.txt', 'three.txt'];
    for (const n of names) {
      writeFileSync(join(work, n), `content of ${n}\n`);
    }
    const before = (await linksOf(gw, alice.token)).length;
    const put = await runSftp(await target(gw, alice), names.map((n) => `put ${join(work, n)} ${folder}/${n}`));
    assert.equal(put.code, 0, put.stderr);
    const links = await eventually('the link', () => linksOf(gw, alice.token), (l) => l.length === before + 1);
    assert.deepEqual(links[0]!.files.map((f) => f.name).sort(), [...names].sort());
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await linksOf(gw, alice.token)).length, before + 1, 'exactly one link');
    const ls = await runSftp(await target(gw, alice), [`ls -1 ${folder}`]);
    for (const n of names) {
      assert.match(ls.stdout, new RegExp(`${n.replace('.', '\\.')}\\.link\\.txt`));
    }
  });

  it('a drop the policy refuses leaves <file>.error.txt naming the rule, and no link', async () => {
    const admin = await gw.token();
    const res = await fetch(`${gw.baseUrl}/api/v1/policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ recipients: { allowedDomains: ['partner.example'] } }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    try {
      const folder = '/send/eve@elsewhere.example';
      writeFileSync(join(work, 'secret.txt'), 'not for eve\n');
      const before = (await linksOf(gw, alice.token)).length;
      const put = await runSftp(await target(gw, alice), [`put ${join(work, 'secret.txt')} ${folder}/secret.txt`]);
      assert.notEqual(put.code, 0);
      // OpenSSH's client shows only the status; the reason is in the .error.txt.
      assert.match(put.stderr, /Permission denied/);
      const got = join(work, 'secret.txt.error.txt');
      const get = await runSftp(await target(gw, alice), [`get ${folder}/secret.txt.error.txt ${got}`]);
      assert.equal(get.code, 0, get.stderr);
      assert.match(readFileSync(got, 'utf8'), /^policy_recipient_domain_not_allowed: /);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await linksOf(gw, alice.token)).length, before);
    } finally {
      await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({}) });
    }
  });

  it('an upload cut off mid-transfer (the client killed) creates no link and leaves no bytes', async () => {
    const big = join(work, 'big.bin');
    writeFileSync(big, randomBytes(256 * 1024 * 1024));
    const storage = gw.dataDir;
    const filesBefore = new Set(filesUnder(storage).filter((f) => statSync(f).size > 1024 * 1024));
    const before = (await linksOf(gw, alice.token)).length;
    const { child, done } = startSftp(await target(gw, alice), [`put ${big} /send/frank@partner.example/big.bin`]);
    // Wait until bytes arrive at the gateway, then cut the client off.
    await eventually(
      'bytes of the upload in storage',
      async () => filesUnder(storage).filter((f) => !filesBefore.has(f) && statSync(f).size > 4 * 1024 * 1024).length,
      (n) => n > 0,
      30_000,
    );
    child.kill('SIGKILL');
    await done;
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await linksOf(gw, alice.token)).length, before, 'no link');
    const left = filesUnder(storage).filter((f) => !filesBefore.has(f) && statSync(f).size > 1024 * 1024);
    assert.deepEqual(left, [], 'no bytes of the cut upload are left');
    const ls = await runSftp(await target(gw, alice), ['ls -1 /send/frank@partner.example']);
    assert.doesNotMatch(ls.stdout, /big\.bin/);
  });

  it('a file put into an admin-defined /drop/<name>/ becomes a link to its fixed recipients with its options and message', async () => {
    const admin = await gw.token();
    const created = await fetch(`${gw.baseUrl}/api/v1/drop-folders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Invoices', recipients: ['ap@supplier.example', 'audit@supplier.example'], options: { oneTime: true }, message: 'Monthly invoices', roles: ['employee'] }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    writeFileSync(join(work, 'invoice.pdf'), 'invoice 42\n');
    const before = (await linksOf(gw, alice.token)).length;
    const r = await runSftp(await target(gw, alice), ['ls -1 /drop', `put ${join(work, 'invoice.pdf')} /drop/Invoices/invoice.pdf`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\/drop\/Invoices/);
    const links = await eventually('the link', () => linksOf(gw, alice.token), (l) => l.length === before + 1);
    const link = links[0]! as typeof links[0] & { oneTime?: boolean; message?: string | null };
    assert.deepEqual(link.grants.map((g) => g.recipient).sort(), ['ap@supplier.example', 'audit@supplier.example']);
    assert.equal(link.oneTime, true);
    assert.equal(link.message, 'Monthly invoices');
    const other = await runSftp(await target(gw, alice), ['-mkdir /drop/Mine', 'ls -1 /drop/Nope']);
    assert.notEqual(other.code, 0, 'only administrators make drop folders, and unknown ones do not exist');
  });

  it('refuses to overwrite a sent file, and refuses paths outside the drop folders', async () => {
    const folder = '/send/bob@partner.example,carol@other.example';
    const again = await runSftp(await target(gw, alice), [`put ${join(work, 'report.bin')} ${folder}/report.bin`]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already sent|read-only|Permission denied/i);
    const top = await runSftp(await target(gw, alice), [`put ${join(work, 'one.txt')} /one.txt`]);
    assert.notEqual(top.code, 0);
    const bad = await runSftp(await target(gw, alice), [`mkdir /send/not-an-address`]);
    assert.notEqual(bad.code, 0);
    void hostKeys;
  });
});
