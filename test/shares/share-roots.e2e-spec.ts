import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsonHeaders, TestGateway } from '@mft/testing';
import { createShare } from './share-fixtures.js';

/** Who may share from where: the policy's `creators.share`, then the connection's `shareRoots`, by whole path segments. */
describe('share roots of a storage connection, for people who are not admins', () => {
  let gw: TestGateway;
  let admin: string;
  let employee: string;
  let finance: string;
  let connectionId: string;
  let root: string;

  before(async () => {
    gw = await TestGateway.start();
    admin = await gw.token();
    await gw.addUser({ user: 'emp', roles: ['employee'] });
    await gw.addUser({ user: 'fin', roles: ['employee'], groups: ['finance'] });
    [employee, finance] = [await gw.token('emp'), await gw.token('fin')];
    root = mkdtempSync(join(tmpdir(), 'mft-share-roots-'));
    for (const [folder, name] of [
      ['docs', 'a.txt'],
      ['docs-private', 'secret.txt'],
      ['finance', 'q3.xlsx'],
    ]) {
      mkdirSync(join(root, folder!), { recursive: true });
      writeFileSync(join(root, folder!, name!), `${folder}/${name}`);
    }
    const made = await fetch(`${gw.baseUrl}/api/v1/connections`, {
      method: 'POST',
      headers: jsonHeaders(admin),
      body: JSON.stringify({
        name: 'Team files',
        kind: 'local',
        settings: {
          root,
          shareRoots: [
            { path: '/docs', roles: ['employee'], groups: [] },
            { path: '/finance', roles: [], groups: ['finance'] },
          ],
        },
      }),
    });
    assert.equal(made.status, 201, await made.clone().text());
    connectionId = ((await made.json()) as { id: string }).id;
    const policy = await fetch(`${gw.baseUrl}/api/v1/policy`, {
      method: 'PUT',
      headers: jsonHeaders(admin),
      body: JSON.stringify({ creators: { send: ['admin', 'manager', 'employee'], share: ['admin', 'manager', 'employee'] } }),
    });
    assert.equal(policy.status, 200, await policy.clone().text());
  });
  after(async () => {
    await gw?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('lets an employee share inside /docs, never /docs-private (a string prefix of it)', async () => {
    const inside = await createShare(gw, employee, { connectionId, path: '/docs/a.txt' });
    assert.equal(inside.status, 201, JSON.stringify(inside.body));
    const prefix = await createShare(gw, employee, { connectionId, path: '/docs-private/secret.txt' });
    assert.deepEqual([prefix.status, prefix.body.code], [403, 'share_path_forbidden']);
    const above = await createShare(gw, employee, { connectionId, path: '/' });
    assert.deepEqual([above.status, above.body.code], [403, 'share_path_forbidden'], 'the folder above a share root is not inside it');
  });

  it('lets a group share its own root only, and admins share anywhere', async () => {
    const theirs = await createShare(gw, finance, { connectionId, path: '/finance' });
    assert.equal(theirs.status, 201, JSON.stringify(theirs.body));
    const notTheirs = await createShare(gw, employee, { connectionId, path: '/finance/q3.xlsx' });
    assert.deepEqual([notTheirs.status, notTheirs.body.code], [403, 'share_path_forbidden']);
    const anywhere = await createShare(gw, admin, { connectionId, path: '/docs-private' });
    assert.equal(anywhere.status, 201, JSON.stringify(anywhere.body));
  });

  it('lists entries only to those who may share from the path', async () => {
    const mine = await fetch(`${gw.baseUrl}/api/v1/connections/${connectionId}/entries?path=/docs`, { headers: { authorization: `Bearer ${employee}` } });
    assert.equal(mine.status, 200);
    assert.deepEqual(((await mine.json()) as { entries: Array<{ name: string }> }).entries.map((e) => e.name), ['a.txt']);
    const other = await fetch(`${gw.baseUrl}/api/v1/connections/${connectionId}/entries?path=/docs-private`, { headers: { authorization: `Bearer ${employee}` } });
    assert.equal(other.status, 403);
  });
});
