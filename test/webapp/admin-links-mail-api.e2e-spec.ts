import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway } from '@mft/testing';
import { sendThroughApi } from './staff-session.js';

interface LinkJson {
  id: string;
  owner: string;
  status: string;
}

/** GET /api/v1/links?owner=: an administrator's view of one person's links (the API behind All links). */
describe('GET /api/v1/links filtered by owner', () => {
  let gw: TestGateway;
  let admin: string;
  let bob: string;
  let carol: string;
  const made: Record<string, string[]> = { bob: [], carol: [] };

  before(async () => {
    gw = await TestGateway.start();
    admin = await gw.token();
    await gw.addUser({ user: 'bob', roles: ['employee'] });
    await gw.addUser({ user: 'carol', roles: ['employee'] });
    [bob, carol] = [await gw.token('bob'), await gw.token('carol')];
    for (let i = 0; i < 3; i++) {
      made.bob!.push((await sendThroughApi(gw, bob, `bob-${String(i)}.txt`, [])).id);
      made.carol!.push((await sendThroughApi(gw, carol, `carol-${String(i)}.txt`, [])).id);
    }
  });
  after(async () => {
    await gw?.stop();
  });

  const list = async (token: string, query: string): Promise<{ status: number; body: LinkJson[] & { message?: string }; next: string | null }> => {
    const res = await fetch(`${gw.baseUrl}/api/v1/links?${query}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as LinkJson[] & { message?: string }, next: res.headers.get('x-next-cursor') };
  };

  it('an admin sees every link with its owner, or one person\'s links with ?owner= (any case), page by page', async () => {
    const all = await list(admin, 'limit=200');
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.map((l) => l.owner).sort(), ['bob', 'bob', 'bob', 'carol', 'carol', 'carol']);

    const bobs = await list(admin, 'owner=BOB');
    assert.deepEqual(bobs.body.map((l) => l.id), [...made.bob!].reverse(), 'newest first, only bob\'s');

    const first = await list(admin, 'owner=carol&limit=2');
    assert.deepEqual(first.body.map((l) => l.id), [made.carol![2], made.carol![1]]);
    assert.ok(first.next);
    const second = await list(admin, `owner=carol&limit=2&cursor=${first.next}`);
    assert.deepEqual(second.body.map((l) => l.id), [made.carol![0]]);
    assert.equal(second.next, null);

    assert.deepEqual((await list(admin, 'owner=nobody')).body, []);
    assert.deepEqual((await list(admin, 'owner=carol&q=carol-1')).body.map((l) => l.id), [made.carol![1]], 'with a search too');
  });

  it('someone who is not an admin sees only their own links, whatever owner they ask for', async () => {
    assert.deepEqual((await list(bob, 'owner=carol')).body, []);
    assert.deepEqual((await list(bob, 'owner=bob')).body.map((l) => l.id), [...made.bob!].reverse());
    assert.deepEqual((await list(bob, '')).body.map((l) => l.owner), ['bob', 'bob', 'bob']);
  });

  it('a malformed owner is a 400 naming the parameter', async () => {
    for (const bad of ['owner=', `owner=${'x'.repeat(101)}`, 'owner=a%00b']) {
      const res = await list(admin, bad);
      assert.equal(res.status, 400, bad);
      assert.match(res.body.message ?? '', /owner/, bad);
    }
  });

  it('an admin reads and revokes another person\'s link; its owner sees it revoked', async () => {
    const id = made.carol![0]!;
    const read = await fetch(`${gw.baseUrl}/api/v1/links/${id}`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(read.status, 200);
    assert.equal(((await read.json()) as LinkJson).owner, 'carol');
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/links/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } })).status, 204);
    const seen = (await (await fetch(`${gw.baseUrl}/api/v1/links/${id}`, { headers: { authorization: `Bearer ${carol}` } })).json()) as LinkJson;
    assert.equal(seen.status, 'revoked');
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/links/${made.carol![1]!}`, { method: 'DELETE', headers: { authorization: `Bearer ${bob}` } })).status, 404, 'another employee may not');
  });
});
