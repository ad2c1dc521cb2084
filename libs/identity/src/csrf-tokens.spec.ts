import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppConfigService } from '@mft/config';
import { CsrfTokens } from './csrf-tokens.js';

describe(CsrfTokens.name, () => {
  const sut = new CsrfTokens({ secretKey: 'k'.repeat(43) } as unknown as AppConfigService);
  const session = 'A'.repeat(43);

  it('a token verifies for the purpose and the binding it was issued for', () => {
    assert.equal(sut.verify('recipient-page', session, sut.issue('recipient-page', session)), true);
  });

  it('a token issued for one purpose is refused for every other purpose with the same binding', () => {
    const token = sut.issue('recipient-page', session);
    assert.equal(sut.verify('staff-session', session, token), false);
    assert.equal(sut.verify('login', session, token), false);
    assert.equal(sut.verify('login', session, sut.issue('staff-session', session)), false);
  });

  it('a token of another session is refused', () => {
    assert.equal(sut.verify('staff-session', session, sut.issue('staff-session', 'B'.repeat(43))), false);
  });

  it('a missing, empty or non-string token is refused', () => {
    for (const token of [undefined, null, '', 42, ['x'], { token: 'x' }]) {
      assert.equal(sut.verify('login', session, token), false, JSON.stringify(token));
    }
  });

  it('a token under another secret key is refused, and an empty binding never verifies', () => {
    const other = new CsrfTokens({ secretKey: 'z'.repeat(43) } as unknown as AppConfigService);
    assert.equal(sut.verify('login', session, other.issue('login', session)), false);
    assert.equal(sut.verify('login', '', sut.issue('login', '')), false);
  });
});
