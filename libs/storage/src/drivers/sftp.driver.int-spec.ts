import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { InvalidInputError } from '@mft/core';
import { descendantsOf, SshServer } from '@mft/testing';
import {
  StorageChangedError,
  StorageError,
  StorageNotFoundError,
  StoragePermissionError,
  StorageUnavailableError,
  type StorageDriver,
} from '../storage-driver.js';
import { StoragePath, StoragePathError } from '../storage-path.js';
import { INSIDE, REFUSED } from '../traversal-corpus.js';
import { SftpDriver, type SftpDriverOptions } from './sftp.driver.js';

async function bytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) {
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

async function write(sut: StorageDriver, key: string, body: Buffer | string, stagingId = `stage-${key}`): Promise<void> {
  const w = await sut.beginWrite(key, stagingId);
  const finished = new Promise((resolve, reject) => {
    w.stream.once('finish', resolve);
    w.stream.once('error', reject);
  });
  w.stream.end(body);
  await finished;
  await w.commit();
}

function allNames(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String);
}

describe(SftpDriver.name, () => {
  let server: SshServer;
  let files: string;
  let root: string;
  let sut: SftpDriver;
  const drivers: SftpDriver[] = [];
  const driver = (overrides: Partial<SftpDriverOptions> = {}): SftpDriver => {
    const d = new SftpDriver({
      host: '127.0.0.1',
      port: server.port,
      username: server.username,
      root,
      hostKeySha256: server.hostKeySha256,
      privateKey: server.privateKey,
      ...overrides,
    });
    drivers.push(d);
    return d;
  };

  before(async () => {
    server = await SshServer.start({ passwordUser: true });
    // root and root-private are siblings whose names share a prefix: a string-prefix check would mix them up.
    files = join(server.dir, 'files');
    root = join(files, 'root');
    const outside = join(files, 'root-private');
    mkdirSync(join(root, 'docs', 'sub'), { recursive: true });
    mkdirSync(join(root, 'docs-private'), { recursive: true });
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'SECRET');
    writeFileSync(join(root, 'docs-private', 'x.txt'), 'private');
    writeFileSync(join(root, 'docs', 'sub', 'inside.txt'), 'inside');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'docs', 'abs-link-out'));
    symlinkSync('../../root-private/secret.txt', join(root, 'docs', 'rel-link-out'));
    symlinkSync(outside, join(root, 'dir-link-out'));
    symlinkSync('../docs-private/x.txt', join(root, 'docs', 'link-to-sibling'));
    symlinkSync('sub/inside.txt', join(root, 'docs', 'link-in'));
    symlinkSync(join(root, 'docs', 'sub'), join(root, 'dir-link-in'));
    symlinkSync(join(files, 'nowhere'), join(root, 'dangling'));
    sut = driver();
  });

  after(async () => {
    await Promise.all(drivers.map((d) => d.close()));
    await server?.close();
  });

  it("loads ssh2's native crypto addon (without it AES-GCM runs at about half speed)", () => {
    const require = createRequire(import.meta.url);
    const addon = require('ssh2/lib/protocol/crypto/build/Release/sshcrypto.node') as Record<string, unknown>;
    assert.equal(typeof addon.AESGCMCipher, 'function');
    assert.equal(typeof addon.ChaChaPolyCipher, 'function');
    const crypto = require('ssh2/lib/protocol/crypto.js') as { bindingAvailable: boolean };
    assert.equal(crypto.bindingAvailable, true);
  });

  it('writes a file and reads back the same bytes, creating its folders', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    await write(sut, 'new/deep/big.bin', body);
    assert.deepEqual(readFileSync(join(root, 'new', 'deep', 'big.bin')), body);
    const read = await bytes(await sut.openRead('new/deep/big.bin'));
    assert.equal(createHash('sha256').update(read).digest('hex'), createHash('sha256').update(body).digest('hex'));
    const info = await sut.stat('new/deep/big.bin');
    assert.equal(info.kind, 'file');
    assert.equal(info.size, body.length);
    assert.equal(info.modifiedAt.getTime(), Math.floor(statSync(join(root, 'new', 'deep', 'big.bin')).mtimeMs / 1000) * 1000);
    assert.match(info.version, /^s1-/);
    assert.deepEqual(await sut.stat(StoragePath.parse('/new')), { kind: 'folder', size: 0, modifiedAt: (await sut.stat('new')).modifiedAt, version: (await sut.stat('new')).version });
    assert.equal((await sut.stat(StoragePath.root)).kind, 'folder');
  });

  it('replaces a file on commit and reads an empty file', async () => {
    await write(sut, 'replace.txt', 'first version');
    await write(sut, 'replace.txt', 'second', 'another-staging-id');
    assert.equal((await bytes(await sut.openRead('replace.txt'))).toString(), 'second');
    await write(sut, 'empty.txt', '');
    assert.equal((await bytes(await sut.openRead('empty.txt'))).length, 0);
  });

  it('reads byte ranges (inclusive), within one request and across many', async () => {
    const body = randomBytes(2 * 1024 * 1024);
    writeFileSync(join(root, 'ranged.bin'), body);
    assert.deepEqual(await bytes(await sut.openRead('ranged.bin', { start: 0, end: 0 })), body.subarray(0, 1));
    assert.deepEqual(await bytes(await sut.openRead('ranged.bin', { start: 10, end: 19 })), body.subarray(10, 20));
    assert.deepEqual(await bytes(await sut.openRead('ranged.bin', { start: 300_001, end: 1_900_000 })), body.subarray(300_001, 1_900_001));
    assert.deepEqual(await bytes(await sut.openRead('ranged.bin', { start: body.length - 5, end: body.length - 1 })), body.subarray(-5));
  });

  it('stops a read early without leaking the connection', async () => {
    writeFileSync(join(root, 'early.bin'), randomBytes(4 * 1024 * 1024));
    for (let i = 0; i < 12; i++) {
      const stream = await sut.openRead('early.bin');
      for await (const _ of stream) {
        break;
      }
    }
    assert.equal((await sut.stat('early.bin')).size, 4 * 1024 * 1024);
  });

  it('lists a folder page by page, sorted by the UTF-8 bytes of the names, with opaque cursors', async () => {
    const dir = join(root, 'listing');
    mkdirSync(join(dir, 'folder'), { recursive: true });
    for (const name of ['b.txt', 'A.txt', 'é.txt', 'z.txt', 'a.txt', '中.txt']) {
      writeFileSync(join(dir, name), name);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await sut.list('listing', { cursor, limit: 3 });
      assert.ok(page.entries.length <= 3);
      seen.push(...page.entries.map((e) => e.name));
      cursor = page.next;
      pages++;
    } while (cursor !== null && pages < 10);
    assert.deepEqual(seen, ['A.txt', 'a.txt', 'b.txt', 'folder', 'z.txt', 'é.txt', '中.txt']);
    assert.equal(pages, 3);
    const whole = await sut.list('listing');
    assert.equal(whole.next, null);
    const folder = whole.entries.find((e) => e.name === 'folder');
    assert.equal(folder?.kind, 'folder');
    assert.equal(folder?.size, 0);
    const file = whole.entries.find((e) => e.name === 'é.txt');
    assert.deepEqual([file?.kind, file?.size], ['file', Buffer.byteLength('é.txt')]);
    await assert.rejects(sut.list('listing', { cursor: 'not a cursor!' }), { code: 'storage_cursor_invalid' });
    await assert.rejects(sut.list('listing', { limit: 0 }), { code: 'storage_list_limit_invalid' });
    await assert.rejects(sut.list('no-such-folder'), StorageNotFoundError);
  });

  it('refuses a read of another version with StorageChangedError', async () => {
    writeFileSync(join(root, 'pinned.txt'), 'version one');
    const { version } = await sut.stat('pinned.txt');
    assert.equal((await bytes(await sut.openRead('pinned.txt', undefined, { expectedVersion: version }))).toString(), 'version one');
    writeFileSync(join(root, 'pinned.txt'), 'version two, longer');
    const err = await sut.openRead('pinned.txt', { start: 0, end: 3 }, { expectedVersion: version }).then(
      () => assert.fail('read a changed file'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StorageChangedError);
    assert.equal(err.message, 'This file has changed since it was shared.');
  });

  it('keeps a staged write invisible until commit, and abort leaves nothing behind', async () => {
    const w = await sut.beginWrite('docs/staged.txt', 'upload-1');
    w.stream.write('partial ');
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(sut.stat('docs/staged.txt'), StorageNotFoundError);
    assert.ok(!(await sut.list('docs')).entries.some((e) => e.name.includes('staged')));
    const finished = new Promise((r) => w.stream.once('finish', r));
    w.stream.end('bytes');
    await finished;
    await assert.rejects(sut.stat('docs/staged.txt'), StorageNotFoundError);
    await w.commit();
    assert.equal((await bytes(await sut.openRead('docs/staged.txt'))).toString(), 'partial bytes');

    const aborted = await sut.beginWrite('docs/aborted.txt', 'upload-2');
    aborted.stream.write('never');
    await aborted.abort();
    await aborted.abort();
    await assert.rejects(sut.stat('docs/aborted.txt'), StorageNotFoundError);
    assert.deepEqual(allNames(join(root, 'docs')).filter((n) => n.includes('.mft-staged')), []);
  });

  it('discards the staged bytes of a write that never committed (a crash), from another connection', async () => {
    const crashed = driver();
    const w = await crashed.beginWrite('docs/crashed.bin', 'upload-crash');
    const finished = new Promise((r) => w.stream.once('finish', r));
    w.stream.end(randomBytes(100_000));
    await finished;
    await crashed.close();
    assert.equal(allNames(join(root, 'docs')).filter((n) => n.includes('.mft-staged')).length, 1);
    await sut.discardStaged('docs/crashed.bin', 'upload-crash');
    await sut.discardStaged('docs/crashed.bin', 'upload-crash');
    await sut.discardStaged('no/such/folder.bin', 'upload-crash');
    assert.deepEqual(allNames(join(root, 'docs')).filter((n) => n.includes('.mft-staged')), []);
    await assert.rejects(sut.stat('docs/crashed.bin'), StorageNotFoundError);
  });

  it('deletes files and removes only empty folders', async () => {
    await write(sut, 'gone/one.txt', 'x');
    await sut.removeEmptyFolder('gone');
    assert.equal((await sut.stat('gone')).kind, 'folder');
    await sut.delete('gone/one.txt');
    await sut.delete('gone/one.txt');
    await sut.delete('never/was.txt');
    await assert.rejects(sut.stat('gone/one.txt'), StorageNotFoundError);
    await sut.removeEmptyFolder('gone');
    await assert.rejects(sut.stat('gone'), StorageNotFoundError);
    await sut.ping();
  });

  it('maps a missing file to not found, with the key kept out of the message', async () => {
    const err = await sut.stat('docs/missing-file-name.txt').then(
      () => assert.fail('found a missing file'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StorageNotFoundError);
    assert.doesNotMatch(err.message, /missing-file-name/);
    assert.match(err.operatorDetail, /missing-file-name/);
    await assert.rejects(sut.openRead('docs'), StorageNotFoundError);
    await assert.rejects(sut.openRead('docs/sub/inside.txt/below'), StorageNotFoundError);
  });

  it('refuses to follow a symlink out of the root, as if it were absent, and serves one that stays inside', async () => {
    for (const key of ['docs/abs-link-out', 'docs/rel-link-out', 'dir-link-out/secret.txt', 'dir-link-out', 'dangling']) {
      await assert.rejects(sut.openRead(key), StorageNotFoundError, key);
      await assert.rejects(sut.openRead(key, { start: 0, end: 2 }), StorageNotFoundError, key);
      await assert.rejects(sut.stat(key), StorageNotFoundError, key);
    }
    await assert.rejects(sut.list('dir-link-out'), StorageNotFoundError);
    await assert.rejects(sut.beginWrite('dir-link-out/planted.txt', 's1'), StoragePermissionError);
    await assert.rejects(sut.delete('dir-link-out/secret.txt'), StoragePermissionError);
    assert.equal(readFileSync(join(files, 'root-private', 'secret.txt'), 'utf8'), 'SECRET');

    assert.equal((await bytes(await sut.openRead('docs/link-in'))).toString(), 'inside');
    assert.equal((await bytes(await sut.openRead(StoragePath.parse('/dir-link-in/inside.txt')))).toString(), 'inside');
    assert.equal((await sut.stat('docs/link-in')).size, 6);

    const names = (await sut.list('docs')).entries.map((e) => e.name);
    assert.ok(names.includes('link-in'));
    assert.ok(!names.includes('abs-link-out') && !names.includes('rel-link-out'), names.join());
    const top = (await sut.list(StoragePath.root)).entries.map((e) => e.name);
    assert.ok(top.includes('dir-link-in') && !top.includes('dir-link-out') && !top.includes('dangling'), top.join());
  });

  it('keeps a scoped driver inside its folder: /docs never serves /docs-private', async () => {
    const docs = sut.scope('docs');
    assert.equal((await bytes(await docs.openRead('sub/inside.txt'))).toString(), 'inside');
    assert.equal((await bytes(await sut.openRead('docs/link-to-sibling'))).toString(), 'private');
    await assert.rejects(docs.openRead('link-to-sibling'), StorageNotFoundError);
    assert.ok(!(await docs.list(StoragePath.root)).entries.some((e) => e.name === 'link-to-sibling'));
    assert.throws(() => StoragePath.parse('../docs-private/x.txt'));
    // A scope reached through a symlink that leaves the root it was scoped from is absent.
    await assert.rejects(sut.scope('dir-link-out').stat(StoragePath.root), StorageNotFoundError);
    await assert.rejects(sut.scope('dir-link-out').openRead('secret.txt'), StorageNotFoundError);
  });

  it('lets no traversal payload out of the share of /docs', async () => {
    const docs = sut.scope(StoragePath.parse('/docs'));
    const payloads = [
      ...REFUSED,
      ...INSIDE.map(([input]) => input),
      'abs-link-out',
      'rel-link-out',
      'link-to-sibling',
      '/docs-private/x.txt',
      'docs-private/x.txt',
      'secret.txt',
    ];
    assert.ok(payloads.length >= 60);
    const refused = (e: unknown): null => {
      assert.ok(e instanceof StorageError || e instanceof StoragePathError, String(e));
      return null;
    };
    for (const payload of payloads) {
      const keys: Array<string | StoragePath> = [payload];
      try {
        keys.push(StoragePath.root.join(payload));
      } catch (e) {
        refused(e);
      }
      for (const key of keys) {
        const body = await docs.openRead(key).then(bytes, refused);
        assert.ok(body === null || body.toString() === 'inside', `${JSON.stringify(payload)} read ${body?.toString()}`);
        const info = await docs.stat(key).catch(refused);
        assert.ok(info === null || info.kind === 'file' || info.kind === 'folder');
        const page = await docs.list(key).catch(refused);
        assert.ok(page === null || page.entries.every((e) => e.name !== 'x.txt' && e.name !== 'secret.txt'), `${JSON.stringify(payload)} listed a secret`);
      }
    }
  });

  it('refuses a server whose host key is not the pinned one, before signing in', async () => {
    const signInsBefore = server.acceptedSignIns.length;
    const logBefore = server.log.length;
    const wrong = `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
    const impostor = driver({ hostKeySha256: wrong });
    const err = await impostor.stat('docs/sub/inside.txt').then(
      () => assert.fail('connected to a server with another host key'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StorageUnavailableError);
    assert.equal(err.retryable, false);
    assert.doesNotMatch(err.message, /SHA256/);
    assert.ok(err.operatorDetail.includes(wrong), err.operatorDetail);
    assert.ok(err.operatorDetail.includes(server.hostKeySha256), err.operatorDetail);
    await new Promise((r) => setTimeout(r, 200));
    const logged = server.log.slice(logBefore);
    assert.equal(server.acceptedSignIns.length, signInsBefore);
    assert.doesNotMatch(logged, /Accepted|Failed|Postponed|publickey|password for/, logged);
    // The pinned key with its base64 padding, or without the prefix, is the same key.
    const padded = driver({ hostKeySha256: `${server.hostKeySha256}=` });
    assert.equal((await padded.stat('docs/sub/inside.txt')).size, 6);
    const bare = driver({ hostKeySha256: server.hostKeySha256.slice('SHA256:'.length) });
    assert.equal((await bare.stat('docs/sub/inside.txt')).size, 6);
    assert.throws(() => driver({ hostKeySha256: 'SHA256:short' }), { code: 'sftp_host_key_invalid' });
  });

  it('reconnects after the server restarts, and is unavailable (retryable) while it is down', async () => {
    const d = driver({ poolSize: 2 });
    assert.equal((await d.stat('docs/sub/inside.txt')).size, 6);
    const before = server.acceptedSignIns.length;
    await server.stop();
    const err = await d.stat('docs/sub/inside.txt').then(
      () => assert.fail('answered while the server was down'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StorageUnavailableError, String(err));
    assert.equal(err.retryable, true);
    await server.listen();
    assert.equal((await d.stat('docs/sub/inside.txt')).size, 6);
    assert.equal(server.acceptedSignIns.length, before + 1);

    // A restart between two calls: the dead connection is dropped, the next call makes a new one.
    const body = randomBytes(600_000);
    await write(d, 'restart.bin', body);
    await server.restart();
    assert.deepEqual(await bytes(await d.openRead('restart.bin')), body);
    await Promise.all(Array.from({ length: 6 }, () => d.stat('restart.bin')));
  });

  it('fails a read and a staged write cleanly (no hang) when the server goes away in the middle', async () => {
    const d = driver({ poolSize: 1 });
    writeFileSync(join(root, 'midway.bin'), randomBytes(8 * 1024 * 1024));
    const stream = await d.openRead('midway.bin');
    const w = await d.beginWrite('docs/midway-upload.bin', 'midway');
    w.stream.on('error', () => undefined);
    w.stream.write(randomBytes(64 * 1024));
    let got = 0;
    const read = (async () => {
      for await (const chunk of stream) {
        got += (chunk as Buffer).length;
        if (got >= 256 * 1024 && server.running) {
          await server.stop();
        }
      }
    })();
    const err = await read.then(
      () => assert.fail('the read ended as if complete'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StorageUnavailableError, String(err));
    assert.equal(err.retryable, true);
    assert.ok(got < 8 * 1024 * 1024);
    w.stream.write(randomBytes(64 * 1024));
    // The staged bytes cannot be removed while the server is down: a clean, retryable refusal.
    await assert.rejects(w.abort(), (e) => e instanceof StorageUnavailableError && e.retryable);
    await server.listen();
    await assert.rejects(d.stat('docs/midway-upload.bin'), StorageNotFoundError);
    await d.discardStaged('docs/midway-upload.bin', 'midway');
    assert.deepEqual(allNames(join(root, 'docs')).filter((n) => n.includes('.mft-staged')), []);
    await assert.rejects(sut.beginWrite('/absolute-string', 's'), StoragePermissionError);
    await assert.rejects(sut.beginWrite('', 's'), StoragePermissionError);
    await assert.rejects(sut.beginWrite('a/../b', 's'), StoragePermissionError);
  });

  it('fails an operation the server leaves unanswered (sshd stopped with SIGSTOP) with a retryable error within the timeout, then recovers', async () => {
    const timeoutMs = 1500;
    const d = driver({ operationTimeoutMs: timeoutMs, readyTimeoutMs: 5000, poolSize: 1 });
    await write(d, 'docs/stalled.bin', randomBytes(16 * 1024 * 1024), 'stalled');
    const sshd = Number(readFileSync(join(server.dir, 'sshd.pid'), 'utf8'));
    let stopped: number[] = [];
    // The listener and every session process below it (the one serving the pooled connection included).
    const freeze = (): void => {
      stopped = [sshd, ...descendantsOf(sshd)];
      stopped.forEach((pid) => process.kill(pid, 'SIGSTOP'));
    };
    const thaw = (): void => {
      stopped.forEach((pid) => process.kill(pid, 'SIGCONT'));
      stopped = [];
    };
    const timedOut = (e: unknown): boolean => {
      assert.ok(e instanceof StorageUnavailableError, String(e));
      assert.equal(e.retryable, true);
      assert.equal(e.message, 'The storage is temporarily unavailable (the server did not answer in time). Try again in a moment.');
      assert.match(e.operatorDetail, /no answer from the SFTP server within 1500 ms/);
      return true;
    };
    try {
      // A request on the pooled connection (stat).
      await d.stat('docs/stalled.bin');
      freeze();
      let t0 = Date.now();
      await assert.rejects(d.stat('docs/stalled.bin'), timedOut);
      let elapsed = Date.now() - t0;
      assert.ok(elapsed >= timeoutMs - 100 && elapsed < timeoutMs + 1500, `failed after ${elapsed} ms`);
      thaw();
      assert.equal((await d.stat('docs/stalled.bin')).size, 16 * 1024 * 1024, 'a new connection once the server answers again');

      // A read stream in the middle of the file.
      const stream = await d.openRead('docs/stalled.bin');
      let got = 0;
      let frozenAt = 0;
      const read = (async () => {
        for await (const chunk of stream) {
          got += (chunk as Buffer).length;
          if (got >= 256 * 1024 && frozenAt === 0) {
            freeze();
            frozenAt = Date.now();
          }
        }
      })();
      await assert.rejects(read, timedOut);
      elapsed = Date.now() - frozenAt;
      assert.ok(elapsed < timeoutMs + 1500, `the read failed after ${elapsed} ms`);
      assert.ok(got < 16 * 1024 * 1024);
      thaw();

      // A staged write in the middle of its bytes.
      const w = await d.beginWrite('docs/stalled-upload.bin', 'stalled-upload');
      const failed = new Promise<unknown>((resolve) => w.stream.once('error', resolve));
      w.stream.write(randomBytes(1024 * 1024));
      await new Promise((r) => setTimeout(r, 200));
      freeze();
      t0 = Date.now();
      for (let i = 0; i < 8; i++) {
        w.stream.write(randomBytes(1024 * 1024));
      }
      assert.ok(timedOut(await failed));
      elapsed = Date.now() - t0;
      assert.ok(elapsed < timeoutMs + 1500, `the write failed after ${elapsed} ms`);
      thaw();
      await w.abort();
      assert.deepEqual(allNames(join(root, 'docs')).filter((n) => n.includes('.mft-staged')), []);
      await assert.rejects(d.stat('docs/stalled-upload.bin'), StorageNotFoundError);
    } finally {
      thaw();
    }
  });

  it('reuses its pooled connections instead of signing in for every call', async () => {
    const d = driver({ poolSize: 2 });
    const before = server.acceptedSignIns.length;
    for (let i = 0; i < 5; i++) {
      await d.stat('docs/sub/inside.txt');
    }
    assert.equal(server.acceptedSignIns.length, before + 1);
    const reads = await Promise.all(Array.from({ length: 10 }, () => d.openRead('docs/sub/inside.txt').then(bytes)));
    assert.ok(reads.every((b) => b.toString() === 'inside'));
    assert.ok(server.acceptedSignIns.length <= before + 2, `${server.acceptedSignIns.length - before} sign-ins`);
    assert.deepEqual(d.capabilities, { rangeReads: true, atomicCommit: true, listing: true, serverSideCopy: false, resumableWrites: false });
  });

  it('resolves the host through the given lookup, so that an address guard can refuse it before connecting', async () => {
    const asked: string[] = [];
    const named = driver({
      host: 'files.example.test',
      lookup: (hostname, _options, callback) => {
        asked.push(hostname);
        (callback as (err: Error | null, address: string, family: number) => void)(null, '127.0.0.1', 4);
      },
    });
    assert.equal((await named.stat('docs/sub/inside.txt')).size, 6);
    assert.deepEqual(asked, ['files.example.test']);

    const connectionsBefore = (server.log.match(/Connection from/g) ?? []).length;
    const refusal = new InvalidInputError('connection_address_refused', 'This address is not allowed.', { field: 'settings.host' });
    const guarded = driver({
      lookup: (_hostname, _options, callback) => (callback as (err: Error | null, address: string, family: number) => void)(refusal, '', 0),
    });
    await assert.rejects(guarded.stat('docs/sub/inside.txt'), (err) => err === refusal);
    assert.equal((server.log.match(/Connection from/g) ?? []).length, connectionsBefore);
  });

  it('signs in with a password, and maps a refused sign-in and a permission error', async () => {
    const user = server.passwordUser;
    const locked = join(user.home, 'locked');
    mkdirSync(locked, { recursive: true, mode: 0o700 });
    chmodSync(locked, 0o700);
    writeFileSync(join(locked, 'x.txt'), 'root only');
    const own = driver({ username: user.username, password: user.password, privateKey: undefined, root: user.home });
    await write(own, 'mine.txt', 'by password');
    assert.equal((await bytes(await own.openRead('mine.txt'))).toString(), 'by password');
    assert.equal(statSync(join(user.home, 'mine.txt')).uid, statSync(user.home).uid);
    await assert.rejects(own.stat('locked/x.txt'), StoragePermissionError);
    await assert.rejects(own.openRead('locked/x.txt'), StoragePermissionError);

    const refused = driver({ username: user.username, password: 'not the password', privateKey: undefined, root: user.home });
    const err = await refused.stat('mine.txt').then(
      () => assert.fail('signed in with a wrong password'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StorageUnavailableError, String(err));
    assert.equal(err.retryable, false);
    assert.doesNotMatch(err.message, /not the password/);
    chownSync(locked, 0, 0);
  });
});
