import assert from 'node:assert/strict';
import { resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fsPathOf } from './path-containment.js';
import { StoragePath, StoragePathError } from './storage-path.js';
import { INSIDE, REFUSED } from './traversal-corpus.js';

describe(StoragePath.name, () => {
  const fsRoot = resolve('/srv/storage/share');
  const share = StoragePath.parse('/docs');

  it(`has a corpus of at least 60 refused payloads (${REFUSED.length})`, () => {
    assert.ok(REFUSED.length >= 60);
  });

  for (const payload of REFUSED) {
    it(`refuses ${JSON.stringify(payload.slice(0, 48))}${payload.length > 48 ? '…' : ''} with path_invalid`, () => {
      assert.throws(
        () => StoragePath.parse(payload),
        (err: unknown) => err instanceof StoragePathError && err.code === 'path_invalid' && (payload.length < 3 || !err.message.includes(payload)),
      );
      assert.throws(() => share.join(payload), StoragePathError);
    });
  }

  for (const [input, expected] of INSIDE) {
    it(`keeps ${JSON.stringify(input.slice(0, 48))} inside the root as ${JSON.stringify(expected.slice(0, 48))}`, () => {
      const p = StoragePath.parse(input);
      assert.equal(p.toString(), expected);
      assert.ok(p.isWithin(StoragePath.root));
      const fsPath = fsPathOf(fsRoot, p);
      assert.ok(fsPath === fsRoot || fsPath.startsWith(fsRoot + sep), fsPath);
      const joined = share.join(input);
      assert.ok(joined.isWithin(share));
      assert.deepEqual(joined.segments.slice(0, 1), ['docs']);
    });
  }

  it('decodes a raw component exactly once: an encoded slash separates, a double-encoded one is refused', () => {
    assert.equal(StoragePath.fromEncoded('%2Fsub%2Fx.pdf').toString(), '/sub/x.pdf');
    assert.equal(StoragePath.fromEncoded('caf%C3%A9').toString(), '/caf\u00e9');
    for (const raw of ['..%2Fetc', '%2e%2e%2f', '..%252f..', '%252e%252e', 'a%25252fb', '%E0%A4%A', '%ZZ', '%C0%AF', '%5C..', '%00']) {
      assert.throws(() => StoragePath.fromEncoded(raw), StoragePathError, raw);
    }
  });

  it('never lets the share of /docs contain /docs-private (whole segments, not string prefixes)', () => {
    const docs = StoragePath.parse('/docs');
    assert.equal(StoragePath.parse('/docs-private/x').isWithin(docs), false);
    assert.equal(StoragePath.parse('/docs-private').isWithin(docs), false);
    assert.equal(StoragePath.parse('/docsx').isWithin(docs), false);
    assert.equal(StoragePath.parse('/doc').isWithin(docs), false);
    assert.equal(StoragePath.parse('/').isWithin(docs), false);
    assert.equal(StoragePath.parse('/docs').isWithin(docs), true);
    assert.equal(StoragePath.parse('/docs/x').isWithin(docs), true);
    assert.equal(StoragePath.parse('/docs/private/x').isWithin(StoragePath.parse('/docs/priv')), false);
    assert.throws(() => StoragePath.parse('/docs-private/x').relativeTo(docs), StoragePathError);
    assert.equal(StoragePath.parse('/docs/a/b').relativeTo(docs).toString(), '/a/b');
  });

  it('normalises to NFC so that composed and decomposed names are one path', () => {
    const composed = StoragePath.parse('/caf\u00e9/x');
    const decomposed = StoragePath.parse('/cafe\u0301/x');
    assert.ok(composed.equals(decomposed));
    assert.ok(decomposed.isWithin(StoragePath.parse('/caf\u00e9')));
  });

  it('offers join, parent, name, segments and both string forms', () => {
    const p = StoragePath.parse('a/b').join('c/d.txt');
    assert.deepEqual(p.segments, ['a', 'b', 'c', 'd.txt']);
    assert.equal(p.toString(), '/a/b/c/d.txt');
    assert.equal(p.toKey(), 'a/b/c/d.txt');
    assert.equal(JSON.stringify({ p }), '{"p":"/a/b/c/d.txt"}');
    assert.equal(p.name, 'd.txt');
    assert.equal(p.parent?.toString(), '/a/b/c');
    assert.equal(StoragePath.parse('/a').parent, StoragePath.root);
    assert.equal(StoragePath.root.parent, null);
    assert.equal(StoragePath.root.toString(), '/');
    assert.equal(StoragePath.root.join('/'), StoragePath.root);
    assert.equal(StoragePath.of('a', 'b').toString(), '/a/b');
    assert.throws(() => StoragePath.of('a/b'), StoragePathError);
    assert.throws(() => StoragePath.of('..'), StoragePathError);
    assert.equal(StoragePath.isValidName('x.pdf'), true);
    assert.equal(StoragePath.isValidName('..'), false);
    assert.throws(() => {
      (p.segments as string[]).push('..');
    }, TypeError);
  });

  it('counts the 4096-byte limit in UTF-8 bytes, not characters', () => {
    const seg = '\u00e9'.repeat(100); // 200 bytes
    const ok = Array.from({ length: 20 }, () => seg).join('/'); // 20 * 201 = 4020 bytes with slashes
    assert.equal(StoragePath.parse(ok).segments.length, 20);
    assert.throws(() => StoragePath.parse(`${ok}/${'\u00e9'.repeat(40)}`), StoragePathError);
  });
});
