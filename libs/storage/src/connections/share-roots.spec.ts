import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoragePath } from '../storage-path.js';
import { maySharePath, type ShareRoot } from '../storage.service.js';

const roots: ShareRoot[] = [
  { path: '/docs', roles: ['employee'], groups: [] },
  { path: '/team/finance', roles: [], groups: ['finance'] },
];
const employee = { admin: false, roles: ['employee'], groups: [] };
const accountant = { admin: false, roles: ['manager'], groups: ['finance'] };

describe(maySharePath.name, () => {
  it('allows a share root and what lies below it, by role or by group', () => {
    assert.equal(maySharePath(roots, StoragePath.parse('/docs'), employee), true);
    assert.equal(maySharePath(roots, StoragePath.parse('/docs/a/b.pdf'), employee), true);
    assert.equal(maySharePath(roots, StoragePath.parse('/team/finance/q3.xlsx'), accountant), true);
  });

  it('compares whole segments: /docs does not cover /docs-private, nor a parent of the root', () => {
    assert.equal(maySharePath(roots, StoragePath.parse('/docs-private/x'), employee), false);
    assert.equal(maySharePath(roots, StoragePath.parse('/'), employee), false);
    assert.equal(maySharePath(roots, StoragePath.parse('/team'), accountant), false);
    assert.equal(maySharePath(roots, StoragePath.parse('/team/finance2'), accountant), false);
  });

  it('refuses users whose roles and groups the root does not name; admins may always', () => {
    assert.equal(maySharePath(roots, StoragePath.parse('/docs'), accountant), false);
    assert.equal(maySharePath(roots, StoragePath.parse('/team/finance'), employee), false);
    assert.equal(maySharePath([], StoragePath.parse('/anything'), { admin: true, roles: [], groups: [] }), true);
    assert.equal(maySharePath([{ path: '/', roles: [], groups: [] }], StoragePath.parse('/x'), employee), false);
  });
});
