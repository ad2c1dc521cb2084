import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoragePath } from '../storage-path.js';
import type { StorageConnectionSummary } from '../storage.service.js';
import { shareSources } from './share-sources.js';

const connections: StorageConnectionSummary[] = [
  {
    id: 'team',
    name: 'Team files',
    kind: 'local',
    shareRoots: [
      { path: '/docs', roles: ['employee'], groups: [] },
      { path: '/docs/handbook', roles: [], groups: ['hr'] },
      { path: '/finance', roles: [], groups: ['finance'] },
    ],
  },
  { id: 'archive', name: 'Archive', kind: 's3', shareRoots: [{ path: '/', roles: ['manager'], groups: [] }] },
  { id: 'default', name: 'Built-in', kind: 'local', shareRoots: [{ path: '/send', roles: ['employee'], groups: [] }, { path: '/', roles: [], groups: ['ops'] }] },
];
const noneHidden = (): boolean => false;
const sendCopies = (id: string, folder: StoragePath): boolean => id === 'default' && folder.isWithin(StoragePath.of('send'));

describe(shareSources.name, () => {
  it('answers the roots that name one of the person’s roles or groups, the outermost only', () => {
    assert.deepEqual(shareSources(connections, { admin: false, roles: ['employee'], groups: ['hr', 'finance'] }, sendCopies), [
      { connectionId: 'team', name: 'Team files', kind: 'local', roots: ['/docs', '/finance'] },
    ]);
    assert.deepEqual(shareSources(connections, { admin: false, roles: ['auditor'], groups: ['hr'] }, noneHidden), [
      { connectionId: 'team', name: 'Team files', kind: 'local', roots: ['/docs/handbook'] },
    ]);
  });

  it('leaves out connections that grant nothing, and folders nobody may share (the send copies)', () => {
    assert.deepEqual(shareSources(connections, { admin: false, roles: ['auditor'], groups: [] }, noneHidden), []);
    assert.deepEqual(
      shareSources(connections, { admin: false, roles: ['employee', 'manager'], groups: [] }, sendCopies).map((s) => [s.connectionId, s.roots]),
      [
        ['archive', ['/']],
        ['team', ['/docs']],
      ],
    );
    assert.deepEqual(shareSources(connections, { admin: false, roles: [], groups: ['ops'] }, sendCopies).map((s) => [s.connectionId, s.roots]), [['default', ['/']]]);
  });

  it('gives admins every connection from its root, sorted by name', () => {
    assert.deepEqual(
      shareSources(connections, { admin: true, roles: ['admin'], groups: [] }, sendCopies).map((s) => [s.name, s.roots]),
      [
        ['Archive', ['/']],
        ['Built-in', ['/']],
        ['Team files', ['/']],
      ],
    );
  });

  it('counts a root named twice once', () => {
    const twice: StorageConnectionSummary[] = [{ id: 'x', name: 'X', kind: 'local', shareRoots: [{ path: '/a', roles: ['employee'], groups: [] }, { path: '/a', roles: [], groups: ['g'] }] }];
    assert.deepEqual(shareSources(twice, { admin: false, roles: ['employee'], groups: ['g'] }, noneHidden)[0]!.roots, ['/a']);
  });
});
