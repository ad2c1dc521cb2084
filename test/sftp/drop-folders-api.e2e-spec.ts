import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addIdpPerson, CookieJar, jsonHeaders, oidcGatewayEnv, serveGateway, signInThroughIdp, TestGateway, TestIdp } from '@mft/testing';

interface DropFolder {
  id: string;
  name: string;
  recipients: string[];
  options: Record<string, unknown>;
  passwordProtected: boolean;
  message: string | null;
  roles: string[];
  groups: string[];
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  version: number;
}
interface Usable {
  name: string;
  path: string;
  recipients: string[];
  message: string | null;
  options: Record<string, unknown>;
  passwordProtected: boolean;
}
interface ErrorBody {
  code: string;
  message: string;
  field?: string;
}
interface AuditRecord {
  type: string;
  actor: string;
  details: Record<string, unknown>;
}

const PASSWORD = 'correct-horse-battery-staple-77';
const CLIENT_SECRET = 'drop-folders-client-secret-0123456789';

/** The admin API of drop folders and what each person may use, over HTTP against a real gateway. */
describe('drop folders over the API', () => {
  let gw: TestGateway;
  let idp: TestIdp;
  const tokens: Record<string, string> = {};

  before(async () => {
    idp = await TestIdp.listen();
    gw = await TestGateway.start({ env: oidcGatewayEnv(idp, CLIENT_SECRET) });
    serveGateway(idp, gw.baseUrl, CLIENT_SECRET);
    tokens.admin = await gw.token();
    for (const [user, roles, groups] of [
      ['max', 'manager', ''],
      ['erin', 'employee', 'finance'],
      ['eve', 'employee', ''],
      ['xena', 'external', ''],
      ['otto', 'auditor', ''],
    ] as const) {
      await gw.cli('user', 'add', '--user', user, '--roles', roles, ...(groups ? ['--groups', groups] : []));
      tokens[user] = await gw.token(user);
    }
  });
  after(async () => {
    await gw?.stop();
    await idp?.close();
  });

  const api = (path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<Response> =>
    fetch(`${gw.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: jsonHeaders(init.token ?? tokens.admin!),
      ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    });
  const create = async (body: unknown): Promise<{ status: number; body: DropFolder & ErrorBody }> => {
    const res = await api('/api/v1/drop-folders', { method: 'POST', body });
    return { status: res.status, body: (await res.json()) as DropFolder & ErrorBody };
  };
  const created = async (body: unknown): Promise<DropFolder> => {
    const res = await create(body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const auditEvents = async (): Promise<AuditRecord[]> => (await (await api('/api/v1/audit/events?type=drop_folder.created,drop_folder.updated,drop_folder.deleted')).json()) as AuditRecord[];
  const usable = async (token: string): Promise<Usable[]> => {
    const res = await api('/api/v1/me/drop-folders', { token });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { dropFolders: Usable[] }).dropFolders;
  };

  it('creates, reads, lists, changes and deletes a drop folder; each change is audited and the password never comes back', async () => {
    const folder = await created({
      name: 'Finance reports',
      recipients: ['auditor@x.example', 'cfo@y.example'],
      options: { oneTime: true, maxDownloads: 3, expiresAt: 'never', password: PASSWORD },
      message: 'The monthly figures',
      roles: ['manager'],
      groups: ['finance'],
    });
    assert.equal(folder.name, 'Finance reports');
    assert.deepEqual(folder.recipients, ['auditor@x.example', 'cfo@y.example']);
    assert.deepEqual(folder.options, { oneTime: true, maxDownloads: 3, expiresAt: 'never' });
    assert.equal(folder.passwordProtected, true);
    assert.equal(folder.message, 'The monthly figures');
    assert.deepEqual([folder.roles, folder.groups], [['manager'], ['finance']]);
    assert.deepEqual([folder.createdBy, folder.updatedBy, folder.version], ['admin', 'admin', 1]);

    const got = await api(`/api/v1/drop-folders/${folder.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(await got.json(), folder);
    const list = await api('/api/v1/drop-folders');
    assert.equal(list.status, 200);
    const listText = await list.text();
    assert.deepEqual((JSON.parse(listText) as { dropFolders: DropFolder[] }).dropFolders.find((f) => f.id === folder.id), folder);

    const patched = await api(`/api/v1/drop-folders/${folder.id}`, { method: 'PATCH', body: { recipients: ['controller@z.example'], message: null } });
    assert.equal(patched.status, 200, await patched.clone().text());
    const p = (await patched.json()) as DropFolder;
    assert.deepEqual(p.recipients, ['controller@z.example']);
    assert.equal(p.message, null);
    assert.equal(p.version, 2);
    assert.equal(p.passwordProtected, true, 'a change that leaves out the options keeps the password');
    assert.deepEqual(p.options, folder.options);

    const newOptions = await api(`/api/v1/drop-folders/${folder.id}`, { method: 'PATCH', body: { options: { oneTime: false, password: null } } });
    assert.equal(newOptions.status, 200, await newOptions.clone().text());
    const o = (await newOptions.json()) as DropFolder;
    assert.deepEqual(o.options, { oneTime: false }, 'options are replaced as a whole');
    assert.equal(o.passwordProtected, false);
    assert.equal(o.version, 3);

    const del = await api(`/api/v1/drop-folders/${folder.id}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal((await api(`/api/v1/drop-folders/${folder.id}`)).status, 404);
    const again = await api(`/api/v1/drop-folders/${folder.id}`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.equal(((await again.json()) as ErrorBody).code, 'drop_folder_not_found');
    assert.equal((await api(`/api/v1/drop-folders/${folder.id}`, { method: 'PATCH', body: { name: 'x' } })).status, 404);

    const events = (await auditEvents()).filter((e) => e.details.dropFolderId === folder.id);
    assert.deepEqual(
      events.map((e) => e.type),
      ['drop_folder.created', 'drop_folder.updated', 'drop_folder.updated', 'drop_folder.deleted'],
    );
    assert.ok(events.every((e) => e.actor === 'user:admin'));
    assert.equal(events[0]!.details.name, 'Finance reports');
    assert.deepEqual(events[1]!.details.changed, ['recipients', 'message']);
    assert.deepEqual(events[2]!.details.changed, ['options', 'password']);
    const everything = (await (await api('/api/v1/audit/events')).text()) + listText + JSON.stringify(folder);
    assert.ok(!everything.includes(PASSWORD), 'the password is in no answer and no audit event');
  });

  it('refuses a name that is not one safe folder name, a bad recipient, option, role or field, naming it (400)', async () => {
    const ok = { name: 'Valid', recipients: ['a@x.example'] };
    const cases: Array<[unknown, string, RegExp]> = [
      [{ ...ok, name: '..' }, 'drop_folder_invalid', /name must not be "\." or "\.\."/],
      [{ ...ok, name: '.' }, 'drop_folder_invalid', /name must not be "\." or "\.\."/],
      [{ ...ok, name: 'a/b' }, 'drop_folder_invalid', /name must be one folder name, without "\/"/],
      [{ ...ok, name: 'a\\b' }, 'drop_folder_invalid', /name must be one folder name/],
      [{ ...ok, name: 'a\nb' }, 'drop_folder_invalid', /name must not contain control characters/],
      // A NUL is refused at the edge, for every field of every body, by the one text rule.
      [{ ...ok, name: 'a\u0000b' }, 'invalid_request', /name contains a character that is not allowed \(NUL/],
      [{ ...ok, name: ' Leading' }, 'drop_folder_invalid', /name must not start or end with a space or a dot/],
      [{ ...ok, name: 'Trailing.' }, 'drop_folder_invalid', /name must not start or end with a space or a dot/],
      [{ ...ok, name: '' }, 'drop_folder_invalid', /name must not be empty/],
      [{ ...ok, name: 'x'.repeat(65) }, 'drop_folder_invalid', /name must be at most 64 characters/],
      [{ ...ok, name: 'Caf\u00e9' }, 'drop_folder_invalid', /name may hold only the letters A-Z/],
      [{ ...ok, recipients: ['not-an-email'] }, 'drop_folder_invalid', /recipients\.0 is not a valid email address/],
      [{ ...ok, recipients: [] }, 'drop_folder_invalid', /recipients must name at least one recipient/],
      [{ ...ok, recipients: Array.from({ length: 51 }, (_, i) => `r${i}@x.example`) }, 'drop_folder_invalid', /recipients must name at most 50 recipients/],
      [{ name: 'Valid' }, 'drop_folder_invalid', /recipients/],
      [{ ...ok, options: { maxDownloads: 0 } }, 'drop_folder_invalid', /options\.maxDownloads must be a whole number from 1, or "unlimited"/],
      [{ ...ok, options: { expiresAt: 'tomorrow' } }, 'drop_folder_invalid', /options\.expiresAt must be an ISO 8601 date-time/],
      [{ ...ok, options: { colour: 'red' } }, 'drop_folder_invalid', /options\.colour is not a link option/],
      [{ ...ok, options: { recipients: 'b@x.example' } }, 'drop_folder_invalid', /options\.recipients is not an option: give it as "recipients" beside "options"/],
      [{ ...ok, options: 'oneTime' }, 'drop_folder_invalid', /options must be an object of link options/],
      [{ ...ok, roles: ['root'] }, 'drop_folder_invalid', /roles\.0 must be one of admin, manager, employee, auditor, external/],
      [{ ...ok, owner: 'me' }, 'drop_folder_invalid', /has unknown field\(s\) "owner"/],
    ];
    for (const [body, code, message] of cases) {
      const res = await create(body);
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, code, JSON.stringify(res.body));
      assert.match(res.body.message, message);
    }
    const bad = await api('/api/v1/drop-folders/not-a-uuid');
    assert.equal(bad.status, 400);
    const list = (await (await api('/api/v1/drop-folders')).json()) as { dropFolders: DropFolder[] };
    assert.ok(!list.dropFolders.some((f) => f.name === 'Valid'), 'nothing refused was stored');
  });

  it('a second folder of the same name, whatever its case, is refused (409), at creation and by a rename', async () => {
    await created({ name: 'Legal', recipients: ['counsel@x.example'] });
    const dup = await create({ name: 'LEGAL', recipients: ['other@x.example'] });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 'drop_folder_name_taken');
    assert.match(dup.body.message, /"LEGAL" already exists/);
    const other = await created({ name: 'Legal 2', recipients: ['counsel@x.example'] });
    const rename = await api(`/api/v1/drop-folders/${other.id}`, { method: 'PATCH', body: { name: 'legal' } });
    assert.equal(rename.status, 409);
    assert.equal(((await rename.json()) as ErrorBody).code, 'drop_folder_name_taken');
    const same = await api(`/api/v1/drop-folders/${other.id}`, { method: 'PATCH', body: { name: 'LEGAL 2' } });
    assert.equal(same.status, 200, 'a folder may change the case of its own name');
  });

  it('only admins administer drop folders (403 for the others)', async () => {
    const folder = await created({ name: 'Admins see this', recipients: ['a@x.example'] });
    for (const user of ['max', 'erin', 'xena', 'otto']) {
      const token = tokens[user]!;
      for (const [method, path, body] of [
        ['POST', '/api/v1/drop-folders', { name: `By ${user}`, recipients: ['a@x.example'] }],
        ['GET', '/api/v1/drop-folders', undefined],
        ['GET', `/api/v1/drop-folders/${folder.id}`, undefined],
        ['PATCH', `/api/v1/drop-folders/${folder.id}`, { name: 'Taken over' }],
        ['DELETE', `/api/v1/drop-folders/${folder.id}`, undefined],
      ] as const) {
        const res = await api(path, { method, token, ...(body ? { body } : {}) });
        assert.equal(res.status, 403, `${user}: ${method} ${path}`);
      }
    }
    assert.equal((await api(`/api/v1/drop-folders/${folder.id}`)).status, 200, 'still there, unchanged');
    assert.equal(((await (await api(`/api/v1/drop-folders/${folder.id}`)).json()) as DropFolder).name, 'Admins see this');
  });

  it('/api/v1/me/drop-folders lists the folders of your roles and groups (admins: all; neither roles nor groups: admins only)', async () => {
    await created({ name: 'Managers', recipients: ['m@x.example'], roles: ['manager'], message: 'For managers', options: { oneTime: true, password: PASSWORD } });
    await created({ name: 'Finance', recipients: ['f@x.example', 'g@y.example'], groups: ['finance'] });
    await created({ name: 'Everyone', recipients: ['e@x.example'], roles: ['employee', 'manager'] });
    await created({ name: 'Nobody', recipients: ['n@x.example'] });
    const names = async (user: string): Promise<string[]> => (await usable(tokens[user]!)).map((f) => f.name).filter((n) => ['Managers', 'Finance', 'Everyone', 'Nobody'].includes(n));

    assert.deepEqual(await names('max'), ['Everyone', 'Managers']);
    assert.deepEqual(await names('erin'), ['Everyone', 'Finance'], 'by role, and by the group finance');
    assert.deepEqual(await names('eve'), ['Everyone']);
    assert.deepEqual(await names('admin'), ['Everyone', 'Finance', 'Managers', 'Nobody']);

    const managers = (await usable(tokens.max!)).find((f) => f.name === 'Managers')!;
    assert.deepEqual(managers, { name: 'Managers', path: '/drop/Managers/', recipients: ['m@x.example'], message: 'For managers', options: { oneTime: true }, passwordProtected: true });
    const text = await (await api('/api/v1/me/drop-folders', { token: tokens.max! })).text();
    assert.ok(!text.includes(PASSWORD));

    const external = await api('/api/v1/me/drop-folders', { token: tokens.xena! });
    assert.equal(external.status, 422, 'the default policy lets no external user send');
    assert.equal((await api('/api/v1/me/drop-folders', { token: tokens.otto! })).status, 403, 'auditors do not send');
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/me/drop-folders`)).status, 401);
  });

  it('a person signed in through SSO sees the folders of the groups their provider names, as of their last sign-in', async () => {
    await created({ name: 'Treasury', recipients: ['bank@x.example'], groups: ['treasury'] });
    addIdpPerson(idp, 'tess', ['treasury']);
    const jar = await signInThroughIdp(new CookieJar(), gw.baseUrl, 'tess');
    const mine = async (): Promise<string[]> => {
      const res = await jar.fetch(`${gw.baseUrl}/api/v1/me/drop-folders`);
      assert.equal(res.status, 200, await res.clone().text());
      return ((await res.json()) as { dropFolders: Usable[] }).dropFolders.map((f) => f.name).filter((n) => ['Treasury', 'Finance'].includes(n));
    };
    assert.deepEqual(await mine(), ['Treasury']);

    idp.accounts.get('tess')!.groups = ['finance'];
    const again = await signInThroughIdp(new CookieJar(), gw.baseUrl, 'tess');
    const res = await again.fetch(`${gw.baseUrl}/api/v1/me/drop-folders`);
    const names = ((await res.json()) as { dropFolders: Usable[] }).dropFolders.map((f) => f.name);
    assert.ok(names.includes('Finance') && !names.includes('Treasury'), names.join(', '));
  });
});
