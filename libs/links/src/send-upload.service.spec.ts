import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '@mft/core';
import { cleanFileName, visibleFileName } from './send-upload.service.js';

describe(cleanFileName.name, () => {
  it('removes bidi overrides, zero-width characters, tags and separators, and keeps letters of every script', () => {
    assert.equal(cleanFileName('invoice\u202Efdp.exe'), 'invoicefdp.exe');
    assert.equal(cleanFileName('\uFEFFre\u200Bport\u200C\u200D\u2066.pdf'), 'report.pdf');
    assert.equal(cleanFileName('a\u2028b\u2029c\u0000\u001f\u007f\u0085.txt'), 'abc.txt');
    assert.equal(cleanFileName('flag\u{E0067}\u{E0062}.png'), 'flag.png');
    assert.equal(cleanFileName('Überweisung – 報告書 😀.pdf'), 'Überweisung – 報告書 😀.pdf');
    assert.equal(cleanFileName('  spaced.txt '), 'spaced.txt');
  });

  it('refuses a name that is empty once cleaned', () => {
    assert.throws(
      () => cleanFileName('\u202E\u200B \u2028'),
      (err: unknown) => err instanceof DomainError && err.code === 'file_name_missing',
    );
  });
});

describe(visibleFileName.name, () => {
  it('writes each removed character out, so the audit shows what was uploaded', () => {
    assert.equal(visibleFileName('invoice\u202Efdp.exe'), 'invoice\\u202Efdp.exe');
    assert.equal(visibleFileName('a\u0000b\u{E0001}'), 'a\\u0000b\\u{E0001}');
    assert.equal(visibleFileName('plain.txt'), 'plain.txt');
    assert.equal(visibleFileName('lone\uD800.txt'), 'lone\uFFFD.txt');
  });
});
