// database-neutral: how the HTTP server drains on SIGTERM: process and protocol only
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { partialUpload, stopGateway, TestGateway, waitFor, within } from '@mft/testing';

describe('shutdown', () => {
  let gw: TestGateway | undefined;
  after(async () => stopGateway(gw));

  it('SIGTERM with an upload stuck mid-body: the gateway cuts it after http.shutdownGraceSeconds, logs it and exits', { timeout: 90_000 }, async () => {
    gw = await TestGateway.start({ env: { HTTP_SHUTDOWN_GRACE_SECONDS: '1', HTTP_IDLE_SECONDS: '3600', LOG_LEVEL: 'info' } });
    const token = await gw.token();
    const stuck = partialUpload(gw.baseUrl, token, { declaredBytes: 4 * 1024 * 1024, sendBytes: 64 * 1024 });
    await stuck.sent;
    // An idle keep-alive connection as well: it must not hold the shutdown either.
    const idle = await fetch(`${gw.baseUrl}/readyz`);
    assert.equal(idle.status, 200);
    await waitFor(() => /"msg":"request".*"path":"\/readyz"/.test(gw!.output()), { what: 'the readiness request to be logged' });

    const pid = gw.pid!;
    await within(gw.kill('SIGTERM'), 30_000, 'the gateway to exit after SIGTERM');
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the process is gone');
    const out = gw.output();
    assert.match(out, /"msg":"shutting down".*"openRequests":1/);
    assert.match(out, /"msg":"shutdown grace over; cutting the requests still open".*"cut":\[\{[^\]]*"method":"POST","path":"\/api\/v1\/links"/);
    assert.equal(await within(stuck.response, 10_000, 'the upload to end'), null, 'the stuck upload was cut, unanswered');
  });
});
