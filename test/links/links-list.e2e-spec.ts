import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSendLink, eventually, TestGateway } from '@mft/testing';

interface ListedLink {
  id: string;
  owner: string;
  status: string;
  files: Array<{ name: string }>;
  grants: Array<{ recipient: string | null }>;
}

/** GET /api/v1/links as the staff app pages, searches and filters it: each employee sees their own links only. */
describe('listing links with search, status and a cursor', () => {
  let gw: TestGateway;
  const tokens: Record<'ann' | 'bob', string> = { ann: '', bob: '' };
  const ann: string[] = [];
  let budget: string;
  let revoked: string;
  let consumed: string;
  let bobs: string;

  const list = (who: 'ann' | 'bob', query: string): Promise<Response> =>
    fetch(`${gw.baseUrl}/api/v1/links?${query}`, { headers: { authorization: `Bearer ${tokens[who]}` } });

  async function ids(who: 'ann' | 'bob', query: string): Promise<string[]> {
    const res = await list(who, query);
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as ListedLink[]).map((l) => l.id);
  }

  async function send(who: 'ann' | 'bob', name: string, fields: Record<string, string> = {}): Promise<{ id: string; url: string }> {
    const created = await createSendLink(gw.baseUrl, tokens[who], [{ name, content: `contents of ${name}` }], fields);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { id: created.body.id, url: created.body.grants[0]!.url };
  }

  before(async () => {
    gw = await TestGateway.start();
    await gw.addUser({ user: 'ann', roles: ['employee'], email: 'ann@corp.example' });
    await gw.addUser({ user: 'bob', roles: ['employee'], email: 'bob@corp.example' });
    tokens.ann = await gw.token('ann');
    tokens.bob = await gw.token('bob');
    for (let i = 1; i <= 4; i++) {
      ann.push((await send('ann', `notes-${String(i)}.txt`, { recipients: `reader${String(i)}@example.test` })).id);
    }
    budget = (await send('ann', 'Budget_2027%.xlsx', { recipients: 'carol@partner.example' })).id;
    ann.push(budget);
    revoked = (await send('ann', 'withdrawn.txt')).id;
    ann.push(revoked);
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/links/${revoked}`, { method: 'DELETE', headers: { authorization: `Bearer ${tokens.ann}` } })).status, 204);
    const once = await send('ann', 'once.txt', { oneTime: 'true' });
    consumed = once.id;
    ann.push(consumed);
    const landing = (await (await fetch(once.url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
    const got = await fetch(`${once.url}/files/${landing.files[0]!.id}`);
    assert.equal(await got.text(), 'contents of once.txt');
    // The download is counted once the response has ended, just after the client has its last byte.
    await eventually(
      'the one-time link to be consumed',
      async () => ((await (await fetch(`${gw.baseUrl}/api/v1/links/${consumed}`, { headers: { authorization: `Bearer ${tokens.ann}` } })).json()) as ListedLink).status,
      (status) => status === 'consumed',
    );
    bobs = (await send('bob', 'notes-bob.txt', { recipients: 'carol@partner.example' })).id;
  });
  after(async () => gw?.stop());

  it('an employee sees only their own links, newest first', async () => {
    assert.deepEqual(await ids('ann', 'limit=200'), [...ann].reverse());
    assert.deepEqual(await ids('bob', 'limit=200'), [bobs]);
    assert.deepEqual(await ids('bob', 'q=budget'), [], "another employee's link is not found by its file name");
    assert.deepEqual(await ids('bob', 'q=partner.example'), [bobs], 'nor by a recipient they share');
  });

  it('a cursor pages through 3 pages, each link exactly once, and the last page has no next cursor', async () => {
    const seen: string[] = [];
    const pages: number[] = [];
    let query = 'limit=3';
    for (;;) {
      const res = await list('ann', query);
      assert.equal(res.status, 200);
      const page = ((await res.json()) as ListedLink[]).map((l) => l.id);
      seen.push(...page);
      pages.push(page.length);
      const next = res.headers.get('x-next-cursor');
      if (!next) {
        assert.equal(res.headers.get('link'), null);
        break;
      }
      assert.equal(next, page[page.length - 1]);
      const link = /^<([^>]+)>; rel="next"$/.exec(res.headers.get('link') ?? '');
      assert.ok(link, `a Link header names the next page: ${String(res.headers.get('link'))}`);
      assert.equal(new URL(link[1]!, gw.baseUrl).searchParams.get('cursor'), next);
      query = `limit=3&cursor=${encodeURIComponent(next)}`;
      assert.ok(pages.length < 5, 'the pages end');
    }
    assert.deepEqual(pages, [3, 3, 1]);
    assert.deepEqual(seen, [...ann].reverse(), 'every link once, in order');
  });

  it('the cursor keeps the search and the status: active links page by two', async () => {
    const first = await list('ann', 'status=active&limit=2');
    const next = first.headers.get('x-next-cursor')!;
    const active = [...ann].reverse().filter((id) => id !== revoked && id !== consumed);
    assert.deepEqual(((await first.json()) as ListedLink[]).map((l) => l.id), active.slice(0, 2));
    assert.deepEqual(await ids('ann', `status=active&limit=2&cursor=${next}`), active.slice(2, 4));
    assert.deepEqual(await ids('ann', 'q=notes&limit=3'), [ann[3], ann[2], ann[1]]);
  });

  it('q finds a part of a file name or a recipient address (any case), or the start of a link id; LIKE wildcards are literal', async () => {
    assert.deepEqual(await ids('ann', 'q=BUDGET_2027'), [budget]);
    assert.deepEqual(await ids('ann', `q=${encodeURIComponent('2027%')}`), [budget]);
    assert.deepEqual(await ids('ann', `q=${encodeURIComponent('%')}`), [budget], 'a % matches only a %');
    assert.deepEqual(await ids('ann', 'q=_'), [budget], 'an _ matches only an _');
    assert.deepEqual(await ids('ann', 'q=Carol@Partner'), [budget]);
    assert.deepEqual(await ids('ann', `q=${budget.slice(0, 13).toUpperCase()}`), [budget]);
    assert.deepEqual(await ids('ann', 'q=reader3%40example.test'), [ann[2]]);
    assert.deepEqual(await ids('ann', 'q=nothing-like-this'), []);
  });

  it('status keeps the links in that state', async () => {
    const listed = async (status: string): Promise<ListedLink[]> => (await (await list('ann', `status=${status}`)).json()) as ListedLink[];
    const r = await listed('revoked');
    assert.deepEqual(r.map((l) => [l.id, l.status]), [[revoked, 'revoked']]);
    assert.deepEqual((await listed('consumed')).map((l) => [l.id, l.status]), [[consumed, 'consumed']]);
    assert.deepEqual(await listed('expired'), []);
    const active = await listed('active');
    assert.equal(active.length, 5);
    assert.ok(active.every((l) => l.status === 'active'));
    assert.deepEqual(await ids('ann', 'status=active&q=withdrawn'), []);
  });

  it('a NUL in q, an unknown status or a malformed cursor is refused with 400 and a message; no token is 401', async () => {
    for (const [query, field] of [
      ['q=a%00b', 'q'],
      ['status=live', 'status'],
      ['cursor=not-a-cursor', 'cursor'],
      [`q=${'x'.repeat(201)}`, 'q'],
    ] as const) {
      const res = await list('ann', query);
      assert.equal(res.status, 400, query);
      const body = (await res.json()) as { code: string; message: string };
      assert.equal(body.code, 'invalid_request');
      assert.match(body.message, new RegExp(`\\b${field}\\b`), body.message);
    }
    const nul = (await (await list('ann', 'q=%00')).json()) as { message: string };
    assert.match(nul.message, /NUL/);
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/links?q=x`)).status, 401);
  });

  it("another employee's cursor pages nothing of theirs", async () => {
    assert.deepEqual(await ids('bob', `cursor=${ann[6]!}`), []);
  });
});
