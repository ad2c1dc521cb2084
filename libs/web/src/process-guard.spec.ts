import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { installProcessGuard } from './process-guard.js';

/** Runs `body` in a fresh node process with the guard installed; returns its exit code and output. */
function runGuarded(body: string): { status: number | null; out: string } {
  const guard = new URL('./process-guard.js', import.meta.url).href;
  const script = `
    import { EventEmitter } from 'node:events';
    import { installProcessGuard } from ${JSON.stringify(guard)};
    installProcessGuard({ error: (m) => process.stdout.write(JSON.stringify(m) + '\\n') });
    ${body}
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe(installProcessGuard.name, () => {
  it('an error event nobody listens to is logged with a correlation id, and the process keeps running', () => {
    const r = runGuarded(`
      setTimeout(() => new EventEmitter().emit('error', Object.assign(new Error('Unexpected end of form'), { code: 'EX' })), 10);
      setTimeout(() => process.stdout.write('still serving\\n'), 100);
    `);
    assert.equal(r.status, 0, r.out);
    const logged = JSON.parse(r.out.split('\n')[0]!) as Record<string, unknown>;
    assert.equal(logged.msg, 'uncaught error; the gateway keeps serving');
    assert.equal(logged.origin, 'uncaughtException');
    assert.equal(logged.message, 'Unexpected end of form');
    assert.equal(logged.code, 'EX');
    assert.match(String(logged.correlationId), /^[0-9a-f-]{36}$/);
    assert.match(r.out, /still serving/);
  });

  it('a rejected promise nobody awaits is logged, and the process keeps running', () => {
    const r = runGuarded(`
      void Promise.reject(new Error('lost'));
      setTimeout(() => process.stdout.write('still serving\\n'), 100);
    `);
    assert.equal(r.status, 0, r.out);
    const logged = JSON.parse(r.out.split('\n')[0]!) as Record<string, unknown>;
    assert.equal(logged.origin, 'unhandledRejection');
    assert.equal(logged.message, 'lost');
    assert.match(r.out, /still serving/);
  });
});
