// database-neutral: which listener serves /metrics and with which token: HTTP only, no stored state
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway } from '@mft/testing';

describe('Prometheus metrics are not served to recipients', () => {
  let gw: TestGateway;
  let withToken: TestGateway;
  const token = 'metrics-token-0123456789abcdef';

  before(async () => {
    [gw, withToken] = await Promise.all([TestGateway.start(), TestGateway.start({ env: { METRICS_TOKEN: token } })]);
  });
  after(async () => Promise.all([gw?.stop(), withToken?.stop()]));

  it('the port recipients use answers 404 for /metrics; the metrics listener serves them', async () => {
    const pub = await fetch(`${gw.baseUrl}/metrics`);
    assert.equal(pub.status, 404);
    assert.doesNotMatch(await pub.text(), /mft_http_requests_total|process_/);
    const scrape = await fetch(gw.metricsUrl);
    assert.equal(scrape.status, 200);
    assert.match(scrape.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await scrape.text(), /mft_http_requests_total/);
    assert.equal((await fetch(gw.metricsUrl.replace('/metrics', '/'))).status, 404);
  });

  it('with METRICS_TOKEN, /metrics answers only that bearer token, on the listener and on the main port', async () => {
    for (const url of [withToken.metricsUrl, `${withToken.baseUrl}/metrics`]) {
      const none = await fetch(url);
      assert.equal(none.status, 401, url);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="metrics"');
      assert.equal(((await none.json()) as { code: string }).code, 'metrics_token_required');
      assert.equal((await fetch(url, { headers: { authorization: `Bearer ${token.slice(0, -1)}x` } })).status, 401, url);
      const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200, url);
      assert.match(await ok.text(), /process_resident_memory_bytes/);
    }
  });

  it('METRICS_PORT=off starts no listener; a bad METRICS_PORT stops the start naming the key', async () => {
    const off = await TestGateway.start({ env: { METRICS_PORT: 'off' } });
    try {
      await assert.rejects(fetch(off.metricsUrl.replace(/:\d+\//, `:${off.metricsPort}/`)));
      assert.equal((await fetch(`${off.baseUrl}/metrics`)).status, 404);
    } finally {
      await off.stop();
    }
    await assert.rejects(TestGateway.start({ env: { METRICS_PORT: 'ninety' } }), /METRICS_PORT \(metrics\.port\)/);
  });
});
