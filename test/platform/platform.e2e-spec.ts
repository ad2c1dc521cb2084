import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '@mft/config';
import { createSendLink, TestGateway } from '@mft/testing';

describe('the gateway as an operator sees it', () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await TestGateway.start();
    token = await gw.token();
  });
  after(async () => gw?.stop());

  it('says in one line for a person that it is ready, where, and on which database; the rest of its output is JSON', () => {
    const out = gw.output();
    // Whole lines only: the gateway may be writing one now.
    const lines = out.slice(0, out.lastIndexOf('\n')).split('\n').filter((l) => l.trim() !== '');
    const human = lines.filter((l) => !l.startsWith('{'));
    const ready = human.filter((l) => l.startsWith('MFT gateway '));
    assert.equal(ready.length, 1, `one start-up line: ${human.join(' | ')}`);
    assert.match(ready[0]!, new RegExp(`^MFT gateway \\(api\\+portal(\\+sftp)?\\) ready at http://\\S+, port ${String(gw.port)}; (embedded database in \\S+|PostgreSQL \\(DATABASE_URL\\))`));
    for (const l of lines.filter((x) => x.startsWith('{'))) {
      assert.doesNotThrow(() => JSON.parse(l), l);
    }
  });

  it('answers /healthz and /readyz with 200', async () => {
    assert.equal((await fetch(`${gw.baseUrl}/healthz`)).status, 200);
    const ready = await fetch(`${gw.baseUrl}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, { database: 'ok', storage: 'ok' });
  });

  it('serves the OpenAPI document of /api/v1 at /api/docs', async () => {
    const page = await fetch(`${gw.baseUrl}/api/docs`);
    assert.equal(page.status, 200);
    const doc = (await (await fetch(`${gw.baseUrl}/api/docs`, { headers: { accept: 'application/json' } })).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    assert.match(doc.openapi, /^3\./);
    for (const path of ['/api/v1/links', '/api/v1/links/{id}', '/api/v1/audit/events', '/api/v1/audit/verify', '/api/v1/me']) {
      assert.ok(doc.paths[path], `${path} is documented`);
    }
  });

  it('exposes Prometheus metrics', async () => {
    const text = await (await fetch(gw.metricsUrl)).text();
    assert.match(text, /mft_http_requests_total/);
    assert.match(text, /process_resident_memory_bytes/);
  });

  it('refuses API calls without a valid token with 401 and a message that says what to do', async () => {
    const none = await fetch(`${gw.baseUrl}/api/v1/links`);
    assert.equal(none.status, 401);
    assert.match(((await none.json()) as { message: string }).message, /Authorization: Bearer/);
    const bad = await fetch(`${gw.baseUrl}/api/v1/me`, { headers: { authorization: 'Bearer mft_not-a-real-token' } });
    assert.equal(bad.status, 401);
    const me = await fetch(`${gw.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(await me.json(), { user: 'admin', email: null, roles: ['admin'] });
  });

  it('answers unknown routes and malformed input with JSON errors, never a stack trace', async () => {
    const unknown = await fetch(`${gw.baseUrl}/api/v1/nothing-here`);
    assert.equal(unknown.status, 404);
    const badId = await fetch(`${gw.baseUrl}/api/v1/links/not-a-uuid`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(badId.status, 400);
    const body = await badId.text();
    assert.doesNotMatch(body, /at .*\.js:\d+/);
    const notMultipart = await fetch(`${gw.baseUrl}/api/v1/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"kind":"send"}',
    });
    assert.equal(notMultipart.status, 400);
    assert.equal(((await notMultipart.json()) as { code: string }).code, 'multipart_required');
  });

  it('keeps links across a restart on the same data', async () => {
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'kept.txt', content: 'still here' }]);
    assert.equal(created.status, 201);
    await gw.restart();
    const fresh = await gw.token();
    const link = await fetch(`${gw.baseUrl}/api/v1/links/${created.body.id}`, { headers: { authorization: `Bearer ${fresh}` } });
    assert.equal(link.status, 200);
    const page = await fetch(created.body.grants[0]!.url.replace(/^http:\/\/127\.0\.0\.1:\d+/, gw.baseUrl), { headers: { accept: 'application/json' } });
    assert.equal(page.status, 200);
  });

  it('refuses to start with a bad configuration value and names the key', () => {
    const run = spawnSync(process.execPath, ['dist/apps/main.js'], {
      cwd: projectRoot(),
      env: { ...process.env, PORT: 'eighty', DATA_DIR: gw.dataDir },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /PORT \(http\.port\): must be a whole number from 1 to 65535/);
  });

  it('the CLI explains itself with --help', () => {
    const run = spawnSync(process.execPath, ['dist/apps/cli/src/main.js', 'token', 'create', '--help'], { cwd: projectRoot(), encoding: 'utf8' });
    assert.equal(run.status, 0);
    assert.match(run.stdout, /--user <name>/);
    assert.match(run.stdout, /--expires-in-days/);
  });
});
