import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, runSftp, TestGateway } from '@mft/testing';
import { linksOf, sftpUser, target, type SftpUser } from './sftp-fixtures.js';

describe('a drop the client saw written survives the gateway process dying before its quiet period ended', () => {
  let gw: TestGateway;
  let alice: SftpUser;
  const work = mkdtempSync(join(tmpdir(), 'mft-sftp-recovery-'));

  before(async () => {
    gw = await TestGateway.start({ env: { SFTP_PORT: 'auto', SFTP_QUIET_SECONDS: '3', JOBS_INTERVAL_SECONDS: '0.5', STALE_UPLOAD_SECONDS: '2' } });
    alice = await sftpUser(gw, 'alice');
  });
  after(async () => gw?.stop());

  it('killed with SIGKILL right after the upload, the restarted gateway makes the link once, and its .link.txt appears', async () => {
    writeFileSync(join(work, 'contract.pdf'), 'signed contract\n');
    writeFileSync(join(work, 'annex.pdf'), 'annex\n');
    const folder = '/send/bob@partner.example';
    const put = await runSftp(await target(gw, alice), [`put ${join(work, 'contract.pdf')} ${folder}/contract.pdf`, `put ${join(work, 'annex.pdf')} ${folder}/annex.pdf`]);
    assert.equal(put.code, 0, put.stderr);
    await gw.kill('SIGKILL');
    await gw.launch();
    const links = await eventually('the recovered link', () => linksOf(gw, alice.token), (l) => l.length === 1, 60_000);
    assert.deepEqual(links[0]!.files.map((f) => f.name).sort(), ['annex.pdf', 'contract.pdf']);
    assert.deepEqual(links[0]!.grants.map((g) => g.recipient), ['bob@partner.example']);
    // The bytes were kept from the abandoned-upload sweep (2 s here): the recipient gets them.
    const ls = await runSftp(await target(gw, alice), [`ls -1 ${folder}`, `get ${folder}/contract.pdf.link.txt ${join(work, 'link.txt')}`]);
    assert.equal(ls.code, 0, ls.stderr);
    const [recipient, url] = readFileSync(join(work, 'link.txt'), 'utf8').trim().split(' ');
    assert.equal(recipient, 'bob@partner.example');
    const file = links[0]!.files.find((f) => f.name === 'contract.pdf')!;
    const dl = await fetch(`${url}/files/${file.id}`);
    assert.equal(dl.status, 200);
    assert.equal(await dl.text(), 'signed contract\n');
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await linksOf(gw, alice.token)).length, 1, 'made once');
  });
});
