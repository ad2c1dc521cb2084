import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError } from '@mft/core';
import { StoragePath, type ShareRoot } from '@mft/storage';
import { parseCreateShareLink } from './create-share-link.command.js';
import { mayShareFrom } from './share-link.service.js';
import { sharePathParam } from './share-paths.js';

const roots: ShareRoot[] = [
  { path: '/docs', roles: ['manager'], groups: [] },
  { path: '/teams/finance', roles: [], groups: ['finance'] },
];
const p = (s: string): StoragePath => StoragePath.parse(s);

describe(mayShareFrom.name, () => {
  it('admins may always share, whatever the roots', () => {
    assert.equal(mayShareFrom({ roles: ['admin'] }, [], [], p('/anything')), true);
  });
  it('a root covers itself and what lies below it, by role or by group', () => {
    assert.equal(mayShareFrom({ roles: ['manager'] }, [], roots, p('/docs')), true);
    assert.equal(mayShareFrom({ roles: ['manager'] }, [], roots, p('/docs/a/b.pdf')), true);
    assert.equal(mayShareFrom({ roles: ['employee'] }, ['finance'], roots, p('/teams/finance/q3.xlsx')), true);
  });
  it('compares whole segments: /docs does not cover /docs-private', () => {
    assert.equal(mayShareFrom({ roles: ['manager'] }, [], roots, p('/docs-private/x')), false);
    assert.equal(mayShareFrom({ roles: ['manager'] }, [], roots, p('/doc')), false);
    assert.equal(mayShareFrom({ roles: ['manager'] }, [], roots, p('/')), false);
  });
  it('needs a listed role or group', () => {
    assert.equal(mayShareFrom({ roles: ['employee'] }, [], roots, p('/docs/a')), false);
    assert.equal(mayShareFrom({ roles: ['manager'] }, ['sales'], roots, p('/teams/finance')), false);
  });
  it('ignores a root whose path is not a path', () => {
    assert.equal(mayShareFrom({ roles: ['manager'] }, [], [{ path: '../', roles: ['manager'], groups: [] }], p('/x')), false);
  });
});

describe(parseCreateShareLink.name, () => {
  it('reads the path and the options, recipients as an array or a string', () => {
    const cmd = parseCreateShareLink({ kind: 'share', connectionId: 'default', path: '/docs/a.pdf', recipients: ['a@x.com'], oneTime: true, pinContent: false });
    assert.equal(cmd.sharePath.toString(), '/docs/a.pdf');
    assert.deepEqual(cmd.recipients, ['a@x.com']);
    assert.equal(cmd.pinContent, false);
    assert.deepEqual(parseCreateShareLink({ kind: 'share', connectionId: 'c', path: 'x', recipients: 'a@x.com, b@y.org' }).recipients, ['a@x.com', 'b@y.org']);
  });
  it('refuses a malformed path, naming the field, without repeating it', () => {
    for (const path of ['../etc', 'a//b', 'a\\b', '%2e%2e/x', 'x/']) {
      assert.throws(
        () => parseCreateShareLink({ kind: 'share', connectionId: 'c', path }),
        (err: Error) => err instanceof InvalidInputError && /path/.test(err.message) && !err.message.includes(path),
        path,
      );
    }
  });
  it('names missing and unknown fields', () => {
    assert.throws(
      () => parseCreateShareLink({ kind: 'share', path: '/x', colour: 'red' }),
      (err: Error) => err instanceof InvalidInputError && /connectionId/.test(err.message) && /colour/.test(err.message),
    );
  });
});

describe(sharePathParam.name, () => {
  it('is the shared folder when absent or empty, a path relative to it otherwise', () => {
    assert.ok(sharePathParam(undefined).isRoot);
    assert.ok(sharePathParam('').isRoot);
    assert.equal(sharePathParam('/sub/x.pdf').toString(), '/sub/x.pdf');
  });
  it('answers 404 (never 400) for anything that is not a path inside the share', () => {
    for (const raw of ['..', '/../x', ['a', 'b'], { a: 1 }, 'a\0b', '%2e%2e']) {
      assert.throws(
        () => sharePathParam(raw),
        (err: Error & { kind?: string; code?: string }) => err.kind === 'not_found' && err.code === 'share_entry_not_found',
      );
    }
  });
});
