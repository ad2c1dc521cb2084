import assert from 'node:assert/strict';
import { resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fsPathOf } from './path-containment.js';
import { StoragePath, StoragePathError } from './storage-path.js';

/**
 * Traversal payloads, each either refused or, when it is a harmless name, landing inside the root.
 * Sources: SFTPGo's and FileBrowser's advisories (GHSA-h64p-8h4r-6gfh, GHSA-mr74-928f-rw69), the
 * classic dot-dot-slash and IIS/Tomcat encodings, Windows forms, and Unicode compatibility tricks.
 */
const REFUSED: readonly string[] = [
  // dot segments
  '..',
  '.',
  '../etc/passwd',
  '/../etc/passwd',
  'a/../../etc/passwd',
  'a/b/../../../etc/passwd',
  'docs/..',
  'docs/../docs-private/x',
  './a',
  'a/./b',
  'a/.',
  '/docs/../../',
  '...',
  '....',
  '.. ',
  ' ..',
  '. .',
  '..../....//',
  // empty segments and absolute forms
  '',
  '//',
  '//etc/passwd',
  'a//b',
  'a/',
  '/docs/',
  '///x',
  'C:',
  'C:/Windows/win.ini',
  'c:foo',
  'a:b',
  'C:\\Windows\\win.ini',
  '\\\\server\\share\\x',
  '\\\\?\\C:\\x',
  '\\etc\\passwd',
  // backslashes
  '..\\',
  '..\\..\\etc\\passwd',
  'a\\..\\..\\b',
  'docs\\..\\secret',
  '..\\/etc',
  // encoded separators and dots (input already decoded once)
  '%2e%2e/etc',
  '%2e%2e%2fetc%2fpasswd',
  '..%2fetc',
  '..%2Fetc',
  'a%2fb',
  'a%5c..',
  '..%5c..%5cetc',
  '%2e./x',
  '.%2e/x',
  '%2E%2E',
  // double-encoded
  '..%252f..%252fetc',
  '%252e%252e%252f',
  '%25%32%66',
  '%%32%66',
  '%%35%63',
  'a%252fb',
  // overlong UTF-8 and IIS %u forms
  '%c0%ae%c0%ae/etc',
  '%c0%af',
  '..%c0%afetc',
  '..%c1%9cetc',
  '%e0%80%ae%e0%80%ae',
  '%f0%80%80%af',
  '..%u2215etc',
  '%u002e%u002e/x',
  // NUL and other controls
  'a\0b',
  'file.txt\0.pdf',
  '%00',
  'a%00b',
  'a\nb',
  'a\rb',
  'tab\there',
  'del\u007f',
  'c1\u0085',
  // Unicode compatibility tricks (NFKC turns them into separators or dots)
  'a\uff0fb',
  '\uff0e\uff0e/x',
  '\uff0e\uff0e',
  '\u2024\u2024',
  '\u2025',
  '\u2024\u2024\uff0fetc',
  '..\uff0fetc',
  'a\uff3cb',
  '\ufe52\ufe52',
  '\uff05\uff12\uff46',
  // lone surrogates
  'a\ud800b',
  'a\udc00',
  '\udfff\ud800',
  // overlong names and paths
  'x'.repeat(256),
  '\u00e9'.repeat(128),
  '\u{1f600}'.repeat(64),
  'a/'.repeat(2049) + 'a',
  'x/'.repeat(3000),
  ('d'.repeat(200) + '/').repeat(21) + 'f',
];

/** Inputs that are ordinary (if odd) names: they must parse and land inside the root. */
const INSIDE: ReadonlyArray<readonly [string, string]> = [
  ['a/b', '/a/b'],
  ['/a/b', '/a/b'],
  ['/', '/'],
  ['..foo', '/..foo'],
  ['foo..', '/foo..'],
  ['a..b/c', '/a..b/c'],
  ['.hidden', '/.hidden'],
  ['100% done.pdf', '/100% done.pdf'],
  ['a%20b', '/a%20b'],
  ['docs-private/x', '/docs-private/x'],
  ['ab:c', '/ab:c'],
  ['file:', '/file:'],
  ['etc/passwd', '/etc/passwd'],
  ['/etc/passwd', '/etc/passwd'],
  ['caf\u0065\u0301', '/caf\u00e9'],
  ['\u212b', '/\u00c5'],
  ['\u00bd', '/\u00bd'],
  ['a\u2215b', '/a\u2215b'],
  ['\u{1f600}.txt', '/\u{1f600}.txt'],
  ['x'.repeat(255), `/${'x'.repeat(255)}`],
];

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
