import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { InvalidInputError } from '@mft/core';
import {
  StorageChangedError,
  StorageError,
  StorageNotFoundError,
  StoragePermissionError,
  StorageUnavailableError,
  type StorageEntry,
} from '../storage-driver.js';
import { StoragePath } from '../storage-path.js';
import { classifyFsError, LocalDriver } from './local.driver.js';

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) {
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString();
}

describe(`${LocalDriver.name} stat, list and versions`, () => {
  const base = mkdtempSync(join(tmpdir(), 'mft-stat-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'docs', 'sub'), { recursive: true });
  mkdirSync(join(root, 'many'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), 'SECRET');
  writeFileSync(join(root, 'docs', 'report.pdf'), 'report-v1');
  const names = ['b', 'a', 'C', 'é', '\u{1f600}', '\uff5e', 'a b', '10', '9'];
  for (const n of names) {
    writeFileSync(join(root, 'many', n), n);
  }
  mkdirSync(join(root, 'many', 'folder'));
  symlinkSync(outside, join(root, 'many', 'zz-link-out'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'many', 'zz-file-out'));
  symlinkSync(join(root, 'docs', 'report.pdf'), join(root, 'many', 'zz-link-in'));
  const sut = new LocalDriver(root);
  after(() => rmSync(base, { recursive: true, force: true }));

  it('declares what it can do', () => {
    assert.deepEqual(sut.capabilities, { rangeReads: true, atomicCommit: true, listing: true, serverSideCopy: false, resumableWrites: false });
  });

  it('stats a file and a folder: kind, size, modification time and an opaque version', async () => {
    utimesSync(join(root, 'docs', 'report.pdf'), new Date('2026-01-02T03:04:05Z'), new Date('2026-01-02T03:04:05Z'));
    const file = await sut.stat('docs/report.pdf');
    assert.equal(file.kind, 'file');
    assert.equal(file.size, 9);
    assert.equal(file.modifiedAt.toISOString(), '2026-01-02T03:04:05.000Z');
    assert.match(file.version, /^l1-[A-Za-z0-9_-]{22}$/);
    assert.equal((await sut.stat(StoragePath.parse('/docs/report.pdf'))).version, file.version);
    const folder = await sut.stat(StoragePath.parse('/docs'));
    assert.equal(folder.kind, 'folder');
    assert.equal(folder.size, 0);
    assert.equal((await sut.stat(StoragePath.root)).kind, 'folder');
  });

  it('gives a new version when the content is rewritten, even at the same size and mtime, or replaced', async () => {
    const path = join(root, 'docs', 'pinned.txt');
    const when = new Date('2026-02-03T04:05:06Z');
    writeFileSync(path, 'aaaa');
    utimesSync(path, when, when);
    const v1 = (await sut.stat('docs/pinned.txt')).version;
    writeFileSync(path, 'bbbb');
    utimesSync(path, when, when);
    const v2 = (await sut.stat('docs/pinned.txt')).version;
    assert.notEqual(v2, v1, 'ctime moved');
    writeFileSync(join(root, 'docs', 'pinned.new'), 'bbbb');
    utimesSync(join(root, 'docs', 'pinned.new'), when, when);
    await rename(join(root, 'docs', 'pinned.new'), path);
    const v3 = (await sut.stat('docs/pinned.txt')).version;
    assert.notEqual(v3, v2, 'another inode');
  });

  it('reads only the expected version, and answers changed for any other', async () => {
    const path = join(root, 'docs', 'versioned.txt');
    writeFileSync(path, '0123456789');
    const { version } = await sut.stat('docs/versioned.txt');
    assert.equal(await text(await sut.openRead('docs/versioned.txt', undefined, { expectedVersion: version })), '0123456789');
    assert.equal(await text(await sut.openRead('docs/versioned.txt', { start: 2, end: 4 }, { expectedVersion: version })), '234');
    writeFileSync(path, '0123456789!');
    const err = await sut.openRead('docs/versioned.txt', { start: 2, end: 4 }, { expectedVersion: version }).then(
      () => assert.fail('read a changed file'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StorageChangedError);
    assert.equal(err.code, 'storage_changed');
    assert.equal(err.kind, 'conflict');
    assert.equal(err.failure, 'changed');
    assert.equal(err.expectedVersion, version);
    assert.equal(err.currentVersion, (await sut.stat('docs/versioned.txt')).version);
    assert.equal(await text(await sut.openRead('docs/versioned.txt')), '0123456789!');
  });

  it('lists a folder sorted by the UTF-8 bytes of the names, page by page, leaving out symlinks that leave the root', async () => {
    const seen: StorageEntry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<LocalDriver['list']>> = await sut.list('many', { cursor, limit: 4 });
      assert.ok(page.entries.length <= 4);
      seen.push(...page.entries);
      cursor = page.next;
      pages++;
    } while (cursor !== null && pages < 10);
    const expected = [...names, 'folder', 'zz-link-in'].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual(
      seen.map((e) => e.name),
      expected,
    );
    assert.equal(pages, 3);
    const folder = seen.find((e) => e.name === 'folder');
    assert.deepEqual({ kind: folder?.kind, size: folder?.size }, { kind: 'folder', size: 0 });
    const linkIn = seen.find((e) => e.name === 'zz-link-in');
    assert.deepEqual({ kind: linkIn?.kind, size: linkIn?.size }, { kind: 'file', size: 9 });
    assert.ok(seen.every((e) => e.modifiedAt instanceof Date));
    const all = await sut.list(StoragePath.parse('/many'));
    assert.deepEqual(
      all.entries.map((e) => e.name),
      expected,
    );
    assert.equal(all.next, null);
  });

  it('leaves its staging area out of a listing of the root', async () => {
    await sut.ping();
    const page = await sut.list(StoragePath.root);
    assert.deepEqual(
      page.entries.map((e) => e.name),
      ['docs', 'many'],
    );
  });

  it('refuses a forged cursor, a bad page size, and listing a file or a missing folder', async () => {
    await assert.rejects(sut.list('many', { cursor: 'not base64url!' }), (e: unknown) => e instanceof InvalidInputError && e.code === 'storage_cursor_invalid');
    await assert.rejects(sut.list('many', { cursor: Buffer.from('../x').toString('base64url') }), InvalidInputError);
    for (const limit of [0, -1, 1001, 1.5, Number.NaN]) {
      await assert.rejects(sut.list('many', { limit }), (e: unknown) => e instanceof InvalidInputError && e.code === 'storage_list_limit_invalid');
    }
    await assert.rejects(sut.list('docs/report.pdf'), StorageNotFoundError);
    await assert.rejects(sut.list('nope'), StorageNotFoundError);
    await assert.rejects(sut.list('many/zz-link-out'), StorageNotFoundError);
  });

  it('keeps keys and backend errors out of what a recipient sees, and in the operator detail', async () => {
    const err = await sut.openRead('docs/no-such-secret-name.pdf').then(
      () => assert.fail('opened a missing file'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StorageNotFoundError && err instanceof StorageError);
    assert.equal(err.message, 'This file or folder does not exist.');
    assert.deepEqual(err.details, {});
    assert.match(err.operatorDetail, /no-such-secret-name\.pdf/);
    assert.ok(!JSON.stringify({ code: err.code, message: err.message, ...err.details }).includes('no-such-secret-name'));
  });

  it('classifies a permission refusal of the disk (EACCES, EPERM) as permission, without the path in the message', () => {
    // The process may run as root, which no file mode refuses: the disk's refusal is built as the fs module reports it.
    for (const code of ['EACCES', 'EPERM']) {
      const refusal = Object.assign(new Error(`${code}: permission denied, open '/srv/files/docs/locked.txt'`), { code });
      const err = classifyFsError(refusal, 'docs/locked.txt');
      assert.ok(err instanceof StoragePermissionError, code);
      assert.equal(err.code, 'storage_permission_denied');
      assert.ok(!err.message.includes('locked.txt'));
      assert.match(err.operatorDetail, /locked\.txt/);
    }
  });

  it('marks an unavailable backend as retryable or not', () => {
    const later = new StorageUnavailableError('connection reset by 10.0.0.5');
    assert.equal(later.retryable, true);
    assert.deepEqual(later.details, { retryable: true });
    assert.ok(!later.message.includes('10.0.0.5'));
    const full = new StorageUnavailableError('/srv/data: ENOSPC', { retryable: false, reason: 'ENOSPC' });
    assert.equal(full.retryable, false);
    assert.equal(full.message, 'The storage is unavailable (ENOSPC).');
  });
});
