import assert from 'node:assert/strict';
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSendLink, TestGateway } from '@mft/testing';

/** Every entry under `dir` (the folder itself included) whose mode lets another account in. */
function openToOthers(dir: string): string[] {
  const found: string[] = [];
  const visit = (path: string): void => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) {
      return;
    }
    if ((stat.mode & 0o077) !== 0) {
      found.push(`${path} ${(stat.mode & 0o777).toString(8)}`);
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) {
        visit(join(path, name));
      }
    }
  };
  visit(dir);
  return found;
}

/** What `chmod -R go+rwX` does: the state an older version left (0755 folders, 0666 database files, and worse). */
function openUp(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) {
    return;
  }
  chmodSync(path, (stat.mode & 0o777) | (stat.isDirectory() ? 0o077 : 0o066));
  if (stat.isDirectory()) {
    for (const name of readdirSync(path)) {
      openUp(join(path, name));
    }
  }
}

describe('the data directory', () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await TestGateway.start();
    token = await gw.token();
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'a.txt', content: 'private bytes' }], { recipients: 'r@example.com' });
    assert.equal(created.status, 201);
  });
  after(async () => gw?.stop());

  it('holds nothing another local account can read or change: folders 0700, files 0600 (database, stored files, outbox, keys)', () => {
    assert.deepEqual(openToOthers(gw.dataDir), []);
  });

  it('is tightened at start when an older version left it open to everyone, with a log line naming it', async () => {
    await gw.kill('SIGTERM');
    openUp(gw.dataDir);
    assert.ok(openToOthers(gw.dataDir).length > 3);
    await gw.launch();
    assert.deepEqual(openToOthers(gw.dataDir), []);
    assert.match(gw.output(), /made the data directory private/);
    // The gateway works on the tightened folder: the CLI and the API reach the same data.
    const again = await createSendLink(gw.baseUrl, await gw.token(), [{ name: 'b.txt', content: 'more' }]);
    assert.equal(again.status, 201);
    assert.deepEqual(openToOthers(gw.dataDir), []);
  });
});
