import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { InvalidInputError } from '@mft/core';
import { StorageChangedError, StorageError, StorageNotFoundError, type StorageDriver } from '../storage-driver.js';
import { StoragePath, type StorageKey } from '../storage-path.js';
import { INSIDE, REFUSED } from '../traversal-corpus.js';

/** One driver under test, on a root of its own that starts empty. */
export interface DriverFixture {
  readonly driver: StorageDriver;
  /** A new driver instance on the same backend and root, as a restarted process would build it. */
  reopen(): Promise<StorageDriver>;
  /**
   * The backdoor: every file the backend holds under the root (staging included, and unfinished
   * uploads where the backend has them), as raw names relative to the root, read without the driver.
   */
  rawNames(): Promise<string[]>;
  /** The longest single name the backend can store, when it is below 255 bytes (a test server's limit). */
  readonly maxNameBytes?: number;
  /** Keys naming the driver's staging area, which no caller may reach (S3 and local: `.staging`). */
  readonly reservedKeys?: readonly string[];
  cleanup(): Promise<void>;
}

async function bytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) {
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

async function put(driver: StorageDriver, key: string, body: string | Buffer): Promise<void> {
  const w = await driver.beginWrite(key, `contract-${key}-${Math.random()}`, { sizeHint: Buffer.byteLength(body) });
  w.stream.end(body);
  await finished(w.stream);
  await w.commit();
}

async function names(driver: StorageDriver, folder: StorageKey): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await driver.list(folder, { cursor, limit: 1000 });
    out.push(...page.entries.map((e) => e.name));
    cursor = page.next;
  } while (cursor);
  return out;
}

const isRefusal = (err: unknown): boolean => err instanceof InvalidInputError || err instanceof StorageError;

/**
 * The behaviour every `StorageDriver` owes its callers, as one node:test suite: stat, paginated
 * listing, ranged reads, staged writes (invisible until commit, abort, discard after a crash
 * through the write's reference or without it, empty files),
 * version checks, error classification and containment. Each driver's integration test calls it
 * once with a factory for its fixture.
 */
export function describeStorageDriverContract(name: string, makeDriver: () => Promise<DriverFixture>): void {
  void describe(`${name} (storage driver contract)`, () => {
    let fx: DriverFixture;
    let sut: StorageDriver;
    before(async () => {
      fx = await makeDriver();
      sut = fx.driver;
    });
    after(async () => {
      await fx?.cleanup();
    });

    void it('declares its capabilities, is reachable, and starts empty', async () => {
      for (const k of ['rangeReads', 'atomicCommit', 'listing', 'serverSideCopy', 'resumableWrites'] as const) {
        assert.equal(typeof sut.capabilities[k], 'boolean', k);
      }
      assert.equal(sut.capabilities.listing, true);
      await sut.ping();
      assert.deepEqual(await names(sut, '/'), []);
    });

    void it('stats files and folders: kind, size, modification time, and a version that follows the content', async () => {
      const t0 = Date.now();
      await put(sut, 'stat/report.pdf', 'report-v1');
      const file = await sut.stat('stat/report.pdf');
      assert.equal(file.kind, 'file');
      assert.equal(file.size, 9);
      // Some backends keep whole seconds only.
      assert.ok(file.modifiedAt.getTime() >= t0 - 2000 && file.modifiedAt.getTime() <= Date.now() + 2000, file.modifiedAt.toISOString());
      assert.equal(typeof file.version, 'string');
      assert.ok(file.version.length > 0);
      assert.equal((await sut.stat(StoragePath.parse('/stat/report.pdf'))).version, file.version);
      await put(sut, 'stat/report.pdf', 'report-version-2');
      const changed = await sut.stat('stat/report.pdf');
      assert.equal(changed.size, 16);
      assert.notEqual(changed.version, file.version);
      const folder = await sut.stat('stat');
      assert.equal(folder.kind, 'folder');
      assert.equal(folder.size, 0);
      assert.equal((await sut.stat(StoragePath.root)).kind, 'folder');
    });

    void it('lists a folder in pages, sorted by the UTF-8 bytes of the names, with folders', async () => {
      const files = ['b', 'a', 'C', '\u00e9', '\u{1f600}', '\uff5e', 'a b', '10', '9'];
      for (const n of files) {
        await put(sut, `many/${n}`, `<${n}>`);
      }
      await put(sut, 'many/folder/inner.txt', 'inner');
      const expected = [...files, 'folder'].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await sut.list('many', { cursor, limit: 3 });
        assert.ok(page.entries.length <= 3);
        pages++;
        seen.push(...page.entries.map((e) => e.name));
        for (const e of page.entries) {
          if (e.name === 'folder') {
            assert.equal(e.kind, 'folder');
          } else {
            assert.equal(e.kind, 'file', e.name);
            assert.equal(e.size, Buffer.byteLength(`<${e.name}>`), e.name);
            assert.ok(e.modifiedAt instanceof Date);
          }
        }
        cursor = page.next;
      } while (cursor);
      assert.deepEqual(seen, expected);
      assert.equal(pages, Math.ceil(expected.length / 3));
      assert.deepEqual(await names(sut, StoragePath.parse('/many/folder')), ['inner.txt']);
      const whole = await sut.list('many');
      assert.equal(whole.next, null);
      assert.deepEqual(
        whole.entries.map((e) => e.name),
        expected,
      );
    });

    void it('refuses bad listing cursors and limits as bad input', async () => {
      await put(sut, 'cursor/x', 'x');
      await assert.rejects(sut.list('cursor', { cursor: 'not a cursor!' }), (err: unknown) => err instanceof InvalidInputError && err.code === 'storage_cursor_invalid');
      await assert.rejects(sut.list('cursor', { limit: 0 }), InvalidInputError);
      await assert.rejects(sut.list('cursor', { limit: 1001 }), InvalidInputError);
    });

    void it('reads exactly the bytes of a range', async () => {
      const body = randomBytes(300 * 1024 + 7);
      await put(sut, 'ranges/blob.bin', body);
      assert.ok((await bytes(await sut.openRead('ranges/blob.bin'))).equals(body));
      for (const [start, end] of [
        [0, 0],
        [10, 99],
        [1000, 200_000],
        [body.length - 1, body.length - 1],
        [0, body.length - 1],
      ] as const) {
        const got = await bytes(await sut.openRead('ranges/blob.bin', { start, end }));
        assert.ok(got.equals(body.subarray(start, end + 1)), `bytes=${start}-${end}`);
      }
    });

    void it('keeps a staged write invisible until commit, then replaces the file in one step', async () => {
      await put(sut, 'staged/file.txt', 'old');
      const w = await sut.beginWrite('staged/file.txt', 'stage-replace', { sizeHint: 3 });
      w.stream.end('new');
      await finished(w.stream);
      assert.equal((await bytes(await sut.openRead('staged/file.txt'))).toString(), 'old');
      const fresh = await sut.beginWrite('staged/brand-new.txt', 'stage-new');
      fresh.stream.end('brand new');
      await finished(fresh.stream);
      await assert.rejects(sut.stat('staged/brand-new.txt'), StorageNotFoundError);
      assert.deepEqual(await names(sut, 'staged'), ['file.txt']);
      assert.ok(!(await names(sut, '/')).some((n) => n.startsWith('.')), 'no staging area in the root listing');
      await w.commit();
      await fresh.commit();
      assert.equal((await bytes(await sut.openRead('staged/file.txt'))).toString(), 'new');
      assert.equal((await bytes(await sut.openRead('staged/brand-new.txt'))).toString(), 'brand new');
      assert.deepEqual(await names(sut, 'staged'), ['brand-new.txt', 'file.txt']);
    });

    void it('abort discards the staged bytes, before or after the stream finished, and may be repeated', async () => {
      const raw = new Set(await fx.rawNames());
      const done = await sut.beginWrite('aborted/done.txt', 'stage-abort-done');
      done.stream.end('discard me');
      await finished(done.stream);
      await done.abort();
      await done.abort();
      const midway = await sut.beginWrite('aborted/midway.txt', 'stage-abort-midway');
      midway.stream.on('error', () => undefined);
      midway.stream.write(randomBytes(64 * 1024));
      await midway.abort();
      await assert.rejects(sut.stat('aborted/done.txt'), StorageNotFoundError);
      await assert.rejects(sut.stat('aborted/midway.txt'), StorageNotFoundError);
      assert.deepEqual(new Set(await fx.rawNames()), raw);
    });

    void it('discards the staged bytes of a crashed write from a new driver instance through its reference, idempotently', async () => {
      const raw = new Set(await fx.rawNames());
      const w = await sut.beginWrite('crash/upload.bin', 'stage-crashed', { sizeHint: 100_000 });
      // Known before the first byte is written, so that it can be recorded first.
      assert.equal(typeof w.reference, 'string');
      assert.ok(w.reference.length > 0);
      w.stream.end(randomBytes(100_000));
      await finished(w.stream);
      // The process "dies" here: neither commit nor abort.
      assert.ok((await fx.rawNames()).length > raw.size, 'the staged bytes are stored somewhere');
      const restarted = await fx.reopen();
      await restarted.discardStaged('crash/upload.bin', 'stage-crashed', w.reference);
      await restarted.discardStaged(StoragePath.parse('/crash/upload.bin'), 'stage-crashed', w.reference);
      await restarted.discardStaged('crash/upload.bin', 'stage-never-used');
      assert.deepEqual(new Set(await fx.rawNames()), raw);
      await assert.rejects(restarted.stat('crash/upload.bin'), StorageNotFoundError);
    });

    void it('discards a crashed write without its reference too (a record kept before there was one)', async () => {
      const raw = new Set(await fx.rawNames());
      const w = await sut.beginWrite('crash/unreferenced.bin', 'stage-crashed-old');
      w.stream.end(randomBytes(10_000));
      await finished(w.stream);
      assert.ok((await fx.rawNames()).length > raw.size, 'the staged bytes are stored somewhere');
      const restarted = await fx.reopen();
      await restarted.discardStaged('crash/unreferenced.bin', 'stage-crashed-old', null);
      await restarted.discardStaged('crash/unreferenced.bin', 'stage-crashed-old');
      assert.deepEqual(new Set(await fx.rawNames()), raw);
      await assert.rejects(restarted.stat('crash/unreferenced.bin'), StorageNotFoundError);
    });

    void it('stores an empty file and a file of a few bytes', async () => {
      await put(sut, 'sizes/empty.bin', '');
      assert.equal((await sut.stat('sizes/empty.bin')).size, 0);
      assert.equal((await bytes(await sut.openRead('sizes/empty.bin'))).length, 0);
      await put(sut, 'sizes/one.bin', 'x');
      assert.equal((await bytes(await sut.openRead('sizes/one.bin'))).toString(), 'x');
      assert.deepEqual(await names(sut, 'sizes'), ['empty.bin', 'one.bin']);
    });

    void it('opens a file only at the expected version; a changed file is StorageChangedError', async () => {
      await put(sut, 'pinned/doc.txt', 'version one');
      const { version } = await sut.stat('pinned/doc.txt');
      assert.equal((await bytes(await sut.openRead('pinned/doc.txt', undefined, { expectedVersion: version }))).toString(), 'version one');
      assert.equal((await bytes(await sut.openRead('pinned/doc.txt', { start: 8, end: 10 }, { expectedVersion: version }))).toString(), 'one');
      await put(sut, 'pinned/doc.txt', 'version two!');
      await assert.rejects(sut.openRead('pinned/doc.txt', undefined, { expectedVersion: version }), (err: unknown) => {
        assert.ok(err instanceof StorageChangedError);
        assert.equal(err.failure, 'changed');
        assert.equal(err.code, 'storage_changed');
        return true;
      });
      await assert.rejects(sut.openRead('pinned/doc.txt', { start: 0, end: 3 }, { expectedVersion: version }), StorageChangedError);
    });

    void it('classifies what is missing as not found, without naming it to the caller', async () => {
      const secretName = 'missing-confidential-name.txt';
      for (const attempt of [
        () => sut.openRead(`nowhere/${secretName}`),
        () => sut.openRead(`nowhere/${secretName}`, { start: 0, end: 1 }),
        () => sut.stat(`nowhere/${secretName}`),
        () => sut.list(`nowhere/${secretName}`),
      ]) {
        await assert.rejects(attempt(), (err: unknown) => {
          assert.ok(err instanceof StorageNotFoundError, String(err));
          assert.equal(err.failure, 'not_found');
          assert.ok(!err.message.includes(secretName) && !JSON.stringify(err.details).includes(secretName));
          assert.ok(err.operatorDetail.includes(secretName));
          return true;
        });
      }
      await put(sut, 'kinds/file.txt', 'x');
      await assert.rejects(sut.openRead('kinds'), StorageNotFoundError, 'a folder is not a file');
      await assert.rejects(sut.list('kinds/file.txt'), StorageNotFoundError, 'a file is not a folder');
      await sut.delete(`nowhere/${secretName}`);
      await sut.delete('kinds/file.txt');
      await assert.rejects(sut.stat('kinds/file.txt'), StorageNotFoundError);
    });

    void it('refuses every traversal payload before it reaches the backend', async () => {
      const before = new Set(await fx.rawNames());
      for (const p of REFUSED) {
        const label = JSON.stringify(p).slice(0, 80);
        await assert.rejects(sut.stat(p), isRefusal, label);
        await assert.rejects(sut.openRead(p), isRefusal, label);
        await assert.rejects(sut.list(p), isRefusal, label);
        await assert.rejects(sut.beginWrite(p, 'stage-traversal'), isRefusal, label);
        await assert.rejects(sut.delete(p), isRefusal, label);
        await assert.rejects(sut.discardStaged(p, 'stage-traversal'), isRefusal, label);
        assert.throws(() => sut.scope(p), isRefusal, label);
      }
      assert.deepEqual(new Set(await fx.rawNames()), before);
    });

    void it('stores odd but harmless names exactly where they say, inside the root', async () => {
      const limit = fx.maxNameBytes ?? 255;
      for (const [input, normalised] of INSIDE) {
        const path = StoragePath.parse(normalised);
        if (path.isRoot || path.segments.some((s) => Buffer.byteLength(s) > limit)) {
          continue;
        }
        const key = `inside/${input.replace(/^\//, '')}`;
        await put(sut, key, `body of ${normalised}`);
        assert.equal((await bytes(await sut.openRead(`inside${normalised}`))).toString(), `body of ${normalised}`, normalised);
        assert.ok((await fx.rawNames()).includes(`inside${normalised}`), normalised);
        await sut.delete(key);
      }
    });

    void it('keeps a scoped driver inside its folder: /docs never reaches /docs-private', async () => {
      await put(sut, 'docs/a.txt', 'in docs');
      await put(sut, 'docs-private/secret.txt', 'SECRET');
      await put(sut, 'docs-private.txt', 'SECRET');
      const docs = sut.scope('docs');
      assert.deepEqual(await names(docs, '/'), ['a.txt']);
      assert.equal((await bytes(await docs.openRead('a.txt'))).toString(), 'in docs');
      assert.equal((await docs.stat('/')).kind, 'folder');
      for (const p of ['../docs-private/secret.txt', '/../docs-private/secret.txt', '..%2fdocs-private%2fsecret.txt', '..\\docs-private\\secret.txt', '%2e%2e/docs-private.txt']) {
        await assert.rejects(docs.openRead(p), isRefusal, p);
      }
      for (const p of ['docs-private/secret.txt', '/docs-private/secret.txt', '-private/secret.txt', 'secret.txt', '../docs-private.txt'.slice(3)]) {
        await assert.rejects(docs.openRead(p), StorageNotFoundError, p);
      }
      await put(docs, 'b.txt', 'written through the scope');
      assert.ok((await fx.rawNames()).includes('docs/b.txt'));
      const sub = docs.scope('sub');
      await put(sub, 'c.txt', 'deeper');
      assert.ok((await fx.rawNames()).includes('docs/sub/c.txt'));
      assert.deepEqual(await names(docs, '/'), ['a.txt', 'b.txt', 'sub']);
      const missing = sut.scope('no-such-folder');
      await assert.rejects(missing.list('/'), StorageNotFoundError);
      await assert.rejects(missing.stat('/'), StorageNotFoundError);
    });

    void it('keeps its staging area out of reach of keys', async () => {
      for (const p of fx.reservedKeys ?? ['.staging', '.staging/x', '/.staging/.ping']) {
        await assert.rejects(
          (async () => {
            await sut.stat(p);
            await sut.openRead(p);
          })(),
          isRefusal,
          p,
        );
        await assert.rejects(sut.beginWrite(p, 'stage-reserved'), isRefusal, p);
        assert.throws(() => sut.scope(p), isRefusal, p);
        if (sut.copyWithin) {
          await put(sut, 'copy-source.bin', 'x');
          await assert.rejects(sut.copyWithin('copy-source.bin', p), isRefusal, `a copy into ${p}`);
          await assert.rejects(sut.copyWithin(p, 'copy-out.bin'), isRefusal, `a copy out of ${p}`);
        }
      }
    });

    void it('copies a file inside the backend when it offers copyWithin: the same bytes at the new key, the source kept, nothing outside the root', async (t) => {
      if (!sut.copyWithin) {
        t.skip(`${name} has no copy inside the backend; callers stream the bytes instead`);
        return;
      }
      const body = randomBytes(300_000);
      await put(sut, 'copies/source.bin', body);
      assert.equal(await sut.copyWithin('copies/source.bin', 'copies/deeper/target.bin'), true);
      assert.ok((await bytes(await sut.openRead('copies/deeper/target.bin'))).equals(body));
      assert.ok((await bytes(await sut.openRead('copies/source.bin'))).equals(body), 'the source stays');
      await sut.delete('copies/source.bin');
      assert.ok((await bytes(await sut.openRead('copies/deeper/target.bin'))).equals(body), 'the copy outlives its source');
      await assert.rejects(sut.copyWithin('copies/missing.bin', 'copies/other.bin'), StorageNotFoundError);
      for (const evil of REFUSED.slice(0, 20)) {
        await assert.rejects(sut.copyWithin('copies/deeper/target.bin', evil), isRefusal, `to ${JSON.stringify(evil)}`);
        await assert.rejects(sut.copyWithin(evil, 'copies/evil.bin'), isRefusal, `from ${JSON.stringify(evil)}`);
      }
    });
  });
}
