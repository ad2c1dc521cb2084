// database-neutral: the ingress has a process of its own on PostgreSQL only; this file always starts PostgreSQL gateways, and the embedded-database refusal is a configuration check
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '@mft/config';
import { descendantsRunning, eventually, freePort, runSftp, TestGateway } from '@mft/testing';
import { sftpUser, target, type SftpUser } from './sftp-fixtures.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const INGRESS = 'sftp-ingress/main.js';

async function readyz(gw: TestGateway): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const res = await fetch(`${gw.baseUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
}

describe('the SFTP ingress in a process of its own (PostgreSQL)', () => {
  let gw: TestGateway;
  let alice: SftpUser;

  before(async () => {
    gw = await TestGateway.start({ database: 'postgres', env: { SFTP_PORT: 'auto' } });
    alice = await sftpUser(gw, 'alice');
  });
  after(async () => gw?.stop());

  it('serves SFTP from a child process while the gateway answers HTTP, and reports it in /readyz and the metrics', async () => {
    const children = descendantsRunning(gw.pid!, INGRESS);
    assert.equal(children.length, 1, 'one ingress process, a child of the gateway');
    const r = await runSftp(await target(gw, alice), ['ls -1 /']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\/send/);
    const ready = await readyz(gw);
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ready', checks: { database: 'ok', storage: 'ok', sftp: 'ok' } });
    const metrics = await (await fetch(gw.metricsUrl)).text();
    assert.match(metrics, /^mft_sftp_ingress_up 1$/m);
    // The ingress process's own figures are merged in: two processes' resident memory, summed.
    const rss = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
    const reported = Number(/^process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(metrics)![1]);
    assert.ok(reported > rss(gw.pid!) + rss(children[0]!) / 2, `${reported} bytes reported: more than the gateway's own ${rss(gw.pid!)} and half the ingress's ${rss(children[0]!)}`);
    assert.match(gw.output(), /SFTP ingress on [\d.]+:\d+; host keys ssh-ed25519 SHA256:/);
  });

  it('an ingress process that dies is started again; HTTP is served meanwhile', async () => {
    const [first] = descendantsRunning(gw.pid!, INGRESS);
    process.kill(first!, 'SIGKILL');
    const during = await eventually('the gateway noticing', () => readyz(gw), (r) => r.body.checks.sftp !== 'ok', 10_000);
    assert.equal(during.status, 200, 'HTTP stays ready');
    assert.equal(during.body.checks.sftp, 'restarting (signal SIGKILL)');
    assert.equal((await fetch(`${gw.baseUrl}/healthz`)).status, 200);
    await eventually('the ingress started again', () => readyz(gw), (r) => r.body.checks.sftp === 'ok', 30_000);
    const [second] = descendantsRunning(gw.pid!, INGRESS);
    assert.ok(second && second !== first, 'a new process');
    const r = await runSftp(await target(gw, alice), ['ls -1 /']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(await (await fetch(gw.metricsUrl)).text(), /^mft_sftp_ingress_restarts_total 1$/m);
    assert.match(gw.output(), /"msg":"SFTP ingress process ended; starting it again","how":"signal SIGKILL"/);
  });

  it('a gateway killed outright takes its ingress process with it, and starts again on the same port', async () => {
    const [child] = descendantsRunning(gw.pid!, INGRESS);
    await gw.kill('SIGKILL');
    await eventually('the orphaned ingress process gone', async () => alive(child!), (up) => !up, 30_000);
    await gw.launch();
    const r = await runSftp(await target(gw, alice), ['ls -1 /']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('SFTP_PROCESS=inline keeps the ingress in the gateway process', async () => {
    const inline = await TestGateway.start({ database: 'postgres', env: { SFTP_PORT: 'auto', SFTP_PROCESS: 'inline' } });
    try {
      assert.deepEqual(descendantsRunning(inline.pid!, INGRESS), []);
      assert.deepEqual((await readyz(inline)).body.checks, { database: 'ok', storage: 'ok' });
      const bob = await sftpUser(inline, 'bob');
      const r = await runSftp(await target(inline, bob), ['ls -1 /']);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await inline.stop();
    }
  });

  it('refuses SFTP_PROCESS=separate on the embedded database, naming the setting', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mft-ingress-pglite-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      SFTP_PORT: String(await freePort()),
      SFTP_PROCESS: 'separate',
      METRICS_PORT: 'off',
    };
    delete env.DATABASE_URL;
    const run = spawnSync(process.execPath, ['dist/apps/main.js'], { cwd: projectRoot(), env, encoding: 'utf8', timeout: 60_000 });
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /sftp\.process \(SFTP_PROCESS\) is "separate", but the embedded database can be opened by one process only/);
  });

  it('refuses an unknown SFTP_PROCESS, naming the key', () => {
    const run = spawnSync(process.execPath, ['dist/apps/main.js'], { cwd: projectRoot(), env: { ...process.env, SFTP_PROCESS: 'sideways' }, encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /SFTP_PROCESS \(sftp\.process\): must be auto, inline or separate/);
  });
});
