import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConflictError, InvalidInputError, NotFoundError } from '@mft/core';
import { PolicyViolationError } from '@mft/policy';
import { StorageNotFoundError, StoragePermissionError } from '@mft/storage';
import { FX, noSuchFile, toStatus } from './sftp-errors.js';
import { nativeCryptoLoaded } from './sftp-server.js';

const quiet = { error: () => undefined, warn: () => undefined } as never;

describe('the SFTP error mapper', () => {
  it('maps domain and storage errors to SSH_FX codes with their message', () => {
    assert.deepEqual(toStatus(new NotFoundError('x', 'Gone.'), quiet, {}), { status: FX.NO_SUCH_FILE, message: 'Gone.' });
    assert.deepEqual(toStatus(new InvalidInputError('x', 'Bad.'), quiet, {}), { status: FX.FAILURE, message: 'Bad.' });
    assert.deepEqual(toStatus(new ConflictError('x', 'Taken.'), quiet, {}), { status: FX.FAILURE, message: 'Taken.' });
    assert.equal(toStatus(new PolicyViolationError('recipient_domain_not_allowed', 'no', [], []), quiet, {}).status, FX.PERMISSION_DENIED);
    assert.equal(toStatus(new StorageNotFoundError('a/b'), quiet, {}).status, FX.NO_SUCH_FILE);
    const denied = toStatus(new StoragePermissionError('/srv/secret outside the root'), quiet, {});
    assert.equal(denied.status, FX.PERMISSION_DENIED);
    assert.doesNotMatch(denied.message, /srv|secret/, 'the operator detail stays in the log');
    assert.deepEqual(toStatus(noSuchFile('Nope.'), quiet, {}), { status: FX.NO_SUCH_FILE, message: 'Nope.' });
  });

  it('answers an unknown error with a plain failure, never its message or stack', () => {
    let logged: unknown = null;
    const logger = { error: (o: unknown) => (logged = o), warn: () => undefined } as never;
    const r = toStatus(new TypeError("Cannot read properties of undefined (reading 'x') at /work/apps/secret.js:1"), logger, { request: 'READ' });
    assert.equal(r.status, FX.FAILURE);
    assert.doesNotMatch(r.message, /undefined|secret\.js|TypeError/);
    assert.ok(logged, 'the error is logged for the operator');
  });
});

describe('the SFTP ingress native crypto', () => {
  it("loads ssh2's native crypto addon (AES-GCM at full speed)", () => {
    assert.equal(nativeCryptoLoaded(), true);
  });
});
