import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError } from './errors.js';
import { assertAllowedText, findDisallowedText, isAllowedText, text } from './text.js';

describe(findDisallowedText.name, () => {
  it('accepts any well-formed text, paired surrogates (emoji) and control characters other than NUL included', () => {
    for (const s of ['', 'plain', 'Übersicht 年度报告 📊', 'tab\tnew\nline', '\u202Eright-to-left']) {
      assert.equal(isAllowedText(s), true, JSON.stringify(s));
    }
    assert.equal(findDisallowedText({ a: ['x', { b: '📊' }], n: 1, t: true, z: null }), null);
  });

  it('names the path of the first NUL or lone surrogate, in values and keys, JSON-escaping a bad key', () => {
    assert.equal(findDisallowedText({ name: 'a\u0000b' }), 'name');
    assert.equal(findDisallowedText({ a: { list: ['ok', 'x\ud800'] } }), 'a.list.1');
    assert.equal(findDisallowedText({ groups: { 'x\udc00': {} } }), 'groups."x\\udc00"');
    assert.equal(findDisallowedText('\u0000', ['user']), 'user');
    assert.equal(findDisallowedText('\u0000'), 'value');
    const form = Object.assign(Object.create(null) as Record<string, string>, { email: 'a\u0000@x' });
    assert.equal(findDisallowedText(form), 'email');
  });

  it('throws one invalid-input error with code invalid_request and the field', () => {
    assert.throws(
      () => assertAllowedText({ message: 'hi\u0000' }),
      (err: unknown) => {
        assert.ok(err instanceof InvalidInputError);
        assert.equal(err.code, 'invalid_request');
        assert.equal(err.message, 'The request is not valid: message contains a character that is not allowed (NUL or an unpaired surrogate).');
        assert.deepEqual(err.details, { field: 'message' });
        return true;
      },
    );
  });

  it('text() refuses the same in a zod schema, and still chains', () => {
    assert.equal(text().max(3).safeParse('abc').success, true);
    assert.equal(text().max(3).safeParse('abcd').success, false);
    const bad = text().safeParse('a\ud800');
    assert.equal(bad.success, false);
    assert.equal(bad.error?.issues[0]?.message, 'contains a character that is not allowed (NUL or an unpaired surrogate)');
  });
});
