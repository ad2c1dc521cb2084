import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '@mft/config';
import { createSendLink, freePort, jsonHeaders, TestGateway } from '@mft/testing';


describe('the policy API: read, replace, versions, audit', () => {
  let gw: TestGateway;
  let admin: string;

  before(async () => {
    gw = await TestGateway.start();
    admin = await gw.token();
  });
  after(async () => gw?.stop());

  it('answers the built-in defaults as version 0, with the document as the body', async () => {
    const res = await fetch(`${gw.baseUrl}/api/v1/policy`, { headers: jsonHeaders(admin) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('etag'), '"policy-v0"');
    assert.equal(res.headers.get('x-policy-source'), 'default');
    const doc = (await res.json()) as Record<string, Record<string, unknown>>;
    assert.deepEqual(doc.expiry, { defaultDays: 7, maxDays: 30, allowNever: false });
    assert.deepEqual(doc.password, { mode: 'optional', minLength: 12, generate: false });
    assert.deepEqual(doc.groups, {});
  });

  it('refuses an invalid document naming every bad key, and a looser group override naming the rule; nothing is saved', async () => {
    const bad = await fetch(`${gw.baseUrl}/api/v1/policy`, {
      method: 'PUT',
      headers: jsonHeaders(admin),
      body: JSON.stringify({ expiry: { maxDays: 'thirty' }, password: { mode: 'sometimes' }, colour: 'red' }),
    });
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { code: string; message: string; problems: Array<{ path: string }> };
    assert.equal(body.code, 'policy_invalid');
    for (const key of ['expiry.maxDays', 'password.mode', 'colour']) {
      assert.ok(body.problems.some((p) => p.path.includes(key)) || body.message.includes(key), `${key} is named: ${body.message}`);
    }
    const looser = await fetch(`${gw.baseUrl}/api/v1/policy`, {
      method: 'PUT',
      headers: jsonHeaders(admin),
      body: JSON.stringify({ expiry: { maxDays: 30 }, groups: { sales: { expiry: { maxDays: 60 } } } }),
    });
    assert.equal(looser.status, 422);
    const l = (await looser.json()) as { code: string; message: string };
    assert.equal(l.code, 'policy_override_looser');
    assert.match(l.message, /groups\.sales\.expiry\.maxDays/);
    const now = await fetch(`${gw.baseUrl}/api/v1/policy`, { headers: jsonHeaders(admin) });
    assert.equal(now.headers.get('etag'), '"policy-v0"');
  });

  it('replaces the policy as a new version with who, when and what changed; the change is audited; If-Match guards against lost updates', async () => {
    const doc = { password: { mode: 'required', minLength: 14 }, expiry: { defaultDays: 3, maxDays: 10 } };
    const put = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: jsonHeaders(admin, { 'if-match': '"policy-v0"' }), body: JSON.stringify(doc) });
    assert.equal(put.status, 200, await put.clone().text());
    assert.equal(put.headers.get('etag'), '"policy-v1"');
    const saved = (await put.json()) as Record<string, Record<string, unknown>>;
    assert.deepEqual(saved.password, { mode: 'required', minLength: 14, generate: false });

    const stale = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: jsonHeaders(admin, { 'if-match': '"policy-v0"' }), body: JSON.stringify({}) });
    assert.equal(stale.status, 412);
    assert.equal(((await stale.json()) as { code: string }).code, 'policy_version_changed');

    const same = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: jsonHeaders(admin), body: JSON.stringify(doc) });
    assert.equal(same.headers.get('etag'), '"policy-v1"', 'saving the same policy makes no new version');

    const second = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: jsonHeaders(admin), body: JSON.stringify({ ...doc, oneTime: { mode: 'forced' } }) });
    assert.equal(second.headers.get('etag'), '"policy-v2"');

    const versions = (await (await fetch(`${gw.baseUrl}/api/v1/policy/versions`, { headers: jsonHeaders(admin) })).json()) as Array<{
      version: number;
      source: string;
      createdBy: string;
      createdAt: string;
      diff: Array<{ path: string; from: unknown; to: unknown }>;
    }>;
    assert.deepEqual(versions.map((v) => v.version), [2, 1]);
    assert.equal(versions[0]!.createdBy, 'user:admin');
    assert.equal(versions[0]!.source, 'api');
    assert.deepEqual(versions[0]!.diff, [{ path: 'oneTime.mode', from: 'optional', to: 'forced' }]);
    assert.deepEqual(
      versions[1]!.diff.map((d) => d.path).sort(),
      ['expiry.defaultDays', 'expiry.maxDays', 'password.minLength', 'password.mode'],
    );
    const v1 = (await (await fetch(`${gw.baseUrl}/api/v1/policy/versions/1`, { headers: jsonHeaders(admin) })).json()) as { document: Record<string, unknown> };
    assert.deepEqual(v1.document.oneTime, { mode: 'optional' }, 'earlier versions are kept whole');
    assert.equal((await fetch(`${gw.baseUrl}/api/v1/policy/versions/99`, { headers: jsonHeaders(admin) })).status, 404);

    const events = (await (await fetch(`${gw.baseUrl}/api/v1/audit/events?type=policy.changed&format=json`, { headers: jsonHeaders(admin) })).json()) as Array<{
      actor: string;
      details: { version: number; changes: Array<{ path: string }> };
    }>;
    assert.deepEqual(events.map((e) => e.details.version), [1, 2]);
    assert.equal(events[1]!.actor, 'user:admin');
    assert.equal(events[1]!.details.changes[0]!.path, 'oneTime.mode');

    // The policy is in force at once: a link without a password is refused, naming the rule.
    const refused = await createSendLink(gw.baseUrl, admin, [{ name: 'a.txt', content: 'a' }]);
    assert.equal(refused.status, 422);
    assert.equal(refused.body.code, 'policy_password_required');
    assert.match(refused.body.message!, /^policy_password_required: /);
  });
});

describe('policy as code (config/policy.yaml)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mft-policy-file-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a bad value stops the process with a message that names the file, the line and the key', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, ['password:', '  mode: required', 'expiry:', '  defaultDays: 3', '  maxDays: lots', ''].join('\n'));
    const { code, output } = await runGateway({ POLICY_FILE: file, DATA_DIR: join(dir, 'data-bad') });
    assert.equal(code, 1);
    assert.match(output, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 5: expiry\\.maxDays: `));
    assert.ok(!/\n\s+at /.test(output), 'no stack trace');
  });

  it('a good file is applied at start and is authoritative: the API refuses edits, and says where to change it', async () => {
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, ['oneTime: { mode: forced }', 'expiry: { defaultDays: 2, maxDays: 5 }', 'groups:', '  legal: { expiry: { maxDays: 2 } }', ''].join('\n'));
    const gw = await TestGateway.start({ env: { POLICY_FILE: file } });
    try {
      const admin = await gw.token();
      const res = await fetch(`${gw.baseUrl}/api/v1/policy`, { headers: jsonHeaders(admin) });
      assert.equal(res.headers.get('x-policy-source'), 'file');
      assert.deepEqual(((await res.json()) as { oneTime: unknown }).oneTime, { mode: 'forced' });
      const put = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: jsonHeaders(admin), body: '{}' });
      assert.equal(put.status, 409);
      const body = (await put.json()) as { code: string; message: string };
      assert.equal(body.code, 'policy_managed_by_file');
      assert.ok(body.message.includes(file));
      const versions = (await (await fetch(`${gw.baseUrl}/api/v1/policy/versions`, { headers: jsonHeaders(admin) })).json()) as Array<{ source: string; createdBy: string }>;
      assert.equal(versions[0]!.source, 'file');
      assert.equal(versions[0]!.createdBy, `file:${file}`);

      // Restarting with the same file adds no version; without it, the API takes over from the last version.
      await gw.restart();
      assert.equal(((await (await fetch(`${gw.baseUrl}/api/v1/policy/versions`, { headers: jsonHeaders(admin) })).json()) as unknown[]).length, 1);
      rmSync(file);
      await gw.restart();
      const after = await fetch(`${gw.baseUrl}/api/v1/policy`, { headers: jsonHeaders(admin) });
      assert.equal(after.headers.get('x-policy-source'), 'file', 'the version in force still came from the file');
      assert.deepEqual(((await after.json()) as { oneTime: unknown }).oneTime, { mode: 'forced' });
      const edit = await fetch(`${gw.baseUrl}/api/v1/policy`, { method: 'PUT', headers: jsonHeaders(admin), body: '{}' });
      assert.equal(edit.status, 200);
      assert.equal(edit.headers.get('x-policy-source'), 'api');
    } finally {
      await gw.stop();
    }
  });
});

/** Runs the gateway until it exits (it should refuse to start); returns its exit code and output. */
async function runGateway(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const port = String(await freePort());
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['dist/apps/main.js'], {
      cwd: projectRoot(),
      env: { ...process.env, DATABASE_URL: '', PORT: port, LOG_LEVEL: 'error', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
