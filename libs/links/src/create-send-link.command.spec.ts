import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError } from '@mft/core';
import { parseCreateSendLink } from './create-send-link.command.js';

describe(parseCreateSendLink.name, () => {
  it('reads form strings into typed options', () => {
    const cmd = parseCreateSendLink({ oneTime: 'true', maxDownloads: '3', recipients: 'a@x.com, b@y.org;c@z.net', expiresAt: '2030-01-01T00:00:00Z' });
    assert.equal(cmd.oneTime, true);
    assert.equal(cmd.maxDownloads, 3);
    assert.deepEqual(cmd.recipients, ['a@x.com', 'b@y.org', 'c@z.net']);
    assert.deepEqual(cmd.expiresAt, new Date('2030-01-01T00:00:00.000Z'));
  });
  it('reads "never" and "unlimited", and an empty password as "no password"', () => {
    const cmd = parseCreateSendLink({ expiresAt: 'never', maxDownloads: 'unlimited', password: '' });
    assert.equal(cmd.expiresAt, 'never');
    assert.equal(cmd.maxDownloads, null);
    assert.equal(cmd.password, '');
  });
  it('names every bad field', () => {
    assert.throws(
      () => parseCreateSendLink({ maxDownloads: '0', recipients: 'not-an-email', expiresAt: 'tomorrow', colour: 'red' }),
      (err: Error) => {
        assert.ok(err instanceof InvalidInputError);
        for (const field of ['maxDownloads', 'recipients', 'expiresAt', 'colour']) {
          assert.match(err.message, new RegExp(field));
        }
        return true;
      },
    );
  });
});

describe('expiresAt of a send link', () => {
  it('says what it takes when it is neither an instant nor "never"', () => {
    assert.throws(() => parseCreateSendLink({ expiresAt: 'tomorrow' }), /expiresAt must be an ISO 8601 date-time with a time zone, e\.g\. 2030-01-31T17:00:00Z, or "never"/);
  });
});
