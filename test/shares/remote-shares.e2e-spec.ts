// database-neutral: share links over the S3 and SFTP drivers: the driver differs from test/shares/*, not the SQL (the same share rows, covered on both databases there)
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { curl, eventuallyStatus, interruptedDownload, rawRequest, sessionCookie, unzipTest } from '@mft/testing';
import { driverEnvironment, forEachDriver, type DriverKind } from './share-drivers.js';
import { listing, share } from './share-fixtures.js';
import { probeTraversal, SECRET } from './traversal-probe.js';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const KINDS: readonly DriverKind[] = ['s3', 'sftp'];

/**
 * Share links on the remote drivers, the same cases on each, over real HTTP: a real s3rver and a
 * real OpenSSH sshd, their connections made through the API. Local disk has the same cases in the
 * other files of this folder.
 */
describe('share links on every remote driver', () => {
  const env = driverEnvironment(KINDS);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mft-remote-shares-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  forEachDriver(env, KINDS, (driver, kind) => {
    const shareOn = (body: Record<string, unknown>): Promise<{ url: string; linkId: string }> => share(env.gw, env.admin, { connectionId: driver().connectionId, ...body });

    it('the traversal corpus in ?path= and /files/ gets nothing but 404, and never a byte of the secret beside the shared folder or outside the root', async () => {
      const d = driver();
      await d.write('docs', { 'ok.txt': 'harmless', 'sub/inner.txt': 'inner' });
      await d.write('docs-private', { 'secret.txt': SECRET });
      await d.writeOutside('secret.txt', SECRET);
      if (d.outsideRoot !== null) {
        d.symlink('docs-private/secret.txt', 'docs/outside-link', { fromRoot: true });
        d.symlink('docs-private', 'docs/outside-dir', { fromRoot: true });
        d.symlink(join(d.outsideRoot, 'secret.txt'), 'docs/outside-root');
        d.symlink(d.outsideRoot, 'docs/outside-root-dir');
      }
      const folder = await shareOn({ path: '/docs' });
      const file = await shareOn({ path: '/docs/ok.txt' });

      assert.deepEqual(await probeTraversal(folder.url, file.url), []);
      const page = await listing(folder.url);
      assert.equal(page.status, 200);
      assert.deepEqual(
        page.body.entries.map((e) => e.name),
        ['ok.txt', 'sub'],
        'symlinks that leave the share are left out',
      );

      const ok = await rawRequest(`${folder.url}/download?path=/sub/inner.txt`);
      assert.deepEqual([ok.status, ok.body.toString()], [200, 'inner'], 'and what is inside is served');
      const zip = await rawRequest(`${folder.url}/archive`);
      assert.equal(zip.status, 200);
      assert.ok(!zip.body.includes(SECRET), 'the archive of the whole share holds no secret');
    });

    it('a one-time folder share raced by 20 sessions has exactly one claimer, consumed once it had every file', async () => {
      const files = { 'a.bin': randomBytes(100_000), 'sub/b.bin': randomBytes(50_000), 'c.txt': Buffer.from('last') };
      await driver().write('race', files);
      const { url } = await shareOn({ path: '/race', oneTime: true });
      const results = await Promise.all(Array.from({ length: 20 }, () => rawRequest(`${url}/download?path=/a.bin`)));
      const winners = results.filter((r) => r.status === 200);
      assert.equal(winners.length, 1, `statuses: ${results.map((r) => r.status).join(',')}`);
      assert.ok(winners[0]!.body.equals(files['a.bin']));
      assert.deepEqual([...new Set(results.filter((r) => r.status !== 200).map((r) => r.status))], [409]);
      const cookie = sessionCookie(winners[0]!);
      assert.equal((await rawRequest(`${url}/download?path=/c.txt`)).status, 409, 'another session, while the claim is live');
      for (const path of ['sub/b.bin', 'c.txt'] as const) {
        const got = await rawRequest(`${url}/download?path=/${path}`, { headers: { cookie } });
        assert.equal(got.status, 200, path);
        assert.ok(got.body.equals(files[path]), path);
      }
      assert.equal((await eventuallyStatus(`${url}/download?path=/a.bin`, 410)).status, 410);
      assert.equal((await rawRequest(`${url}/archive`, { headers: { cookie } })).status, 410, 'the claimer too');
    });

    it('the archive of a folder, interrupted and resumed with curl -C -, is byte for byte the whole archive', async () => {
      const files = { 'one.bin': randomBytes(4 * MiB + 5), 'two.bin': randomBytes(4 * MiB), 'sub/three.txt': Buffer.from('three\n') };
      await driver().write('resume', files);
      const { url } = await shareOn({ path: '/resume' });
      const archive = `${url}/archive`;
      const full = join(dir, `${kind}-full.zip`);
      const whole = await curl(['-o', full, archive]);
      assert.equal(whole.http, '200', whole.out);
      const size = readFileSync(full).length;
      unzipTest(full);

      const resumed = join(dir, `${kind}-resumed.zip`);
      const had = await interruptedDownload(archive, resumed, 1 * MiB);
      assert.ok(had < size, `interrupted after ${had} of ${size} bytes`);
      const rest = await curl(['-C', '-', '-o', resumed, archive]);
      assert.equal(rest.status, 0, rest.out);
      assert.equal(rest.http, '206', rest.out);
      assert.equal(sha256(readFileSync(resumed)), sha256(readFileSync(full)), 'the resumed archive is identical to the whole one');
      unzipTest(resumed);
    });

    it('a pinned file share whose file changed answers 409 share_content_changed, never other bytes', async () => {
      const content = randomBytes(64 * 1024);
      await driver().write('pinned', { 'contract.bin': content });
      const { url } = await shareOn({ path: '/pinned/contract.bin' });
      const page = (await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
      const fileUrl = `${url}/files/${page.files[0]!.id}`;
      const first = await rawRequest(fileUrl, { headers: { range: 'bytes=0-1023' } });
      assert.equal(first.status, 206);
      assert.ok(first.body.equals(content.subarray(0, 1024)));

      const changed = Buffer.concat([content.subarray(0, 1024), randomBytes(content.length - 1024)]);
      await driver().write('pinned', { 'contract.bin': changed });
      for (const range of [`bytes=1024-${content.length - 1}`, null]) {
        const res = await rawRequest(fileUrl, { headers: { accept: 'application/json', ...(range ? { range } : {}) } });
        assert.equal(res.status, 409, `${range ?? 'whole'}: ${res.body.toString()}`);
        const body = JSON.parse(res.body.toString()) as { code: string; message: string };
        assert.equal(body.code, 'share_content_changed');
        assert.match(body.message, /changed since it was shared/);
        assert.ok(!res.body.includes(changed.subarray(2048, 2080)) && !res.body.includes(content.subarray(2048, 2080)), 'no bytes of either version');
      }
    });
  });
});
