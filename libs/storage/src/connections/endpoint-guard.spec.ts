import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, it } from 'node:test';
import { AddressRefusedError, checkHost, guardedLookup, normaliseAddress, refusalOf } from './endpoint-guard.js';

type Resolve = (hostname: string, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;
const fakeDns = (table: Record<string, string[]>): Resolve => (hostname, cb) => {
  const list = table[hostname];
  if (!list) {
    cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    return;
  }
  cb(null, list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
};

function lookupOnce(fn: ReturnType<typeof guardedLookup>, host: string, options: { all?: boolean; family?: number } = {}): Promise<{ err: Error | null; address: unknown; family?: number }> {
  return new Promise((resolve) => {
    (fn as unknown as (h: string, o: object, cb: (err: Error | null, address: unknown, family?: number) => void) => void)(host, options, (err, address, family) => resolve({ err, address, family }));
  });
}

describe('endpoint guard', () => {
  it('normalises IPv4-mapped, IPv4-compatible, NAT64 and bracketed IPv6 literals', () => {
    assert.equal(normaliseAddress('::ffff:169.254.169.254'), '169.254.169.254');
    assert.equal(normaliseAddress('::ffff:a9fe:a9fe'), '169.254.169.254');
    assert.equal(normaliseAddress('[::ffff:127.0.0.1]'), '127.0.0.1');
    assert.equal(normaliseAddress('64:ff9b::a9fe:a9fe'), '169.254.169.254');
    assert.equal(normaliseAddress('::1'), '0:0:0:0:0:0:0:1');
    assert.equal(normaliseAddress('FD00:EC2::254'), 'fd00:ec2:0:0:0:0:0:254');
    assert.equal(normaliseAddress('example.com'), null);
  });

  const always: Array<[string, string]> = [
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['169.254.1.1', 'link_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:0.0.0.0', 'unspecified'],
  ];
  for (const [ip, why] of always) {
    it(`refuses ${ip} (${why}) even with allowLoopback`, () => {
      assert.equal(refusalOf(ip, true), why);
      assert.equal(refusalOf(ip, false), why);
    });
  }

  for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '[::1]']) {
    it(`refuses loopback ${ip} unless allowLoopback`, () => {
      assert.equal(refusalOf(ip, false), 'loopback');
      assert.equal(refusalOf(ip, true), null);
    });
  }

  for (const ip of ['10.0.0.5', '192.168.1.10', '203.0.113.7', '2001:db8::1', 'fec0::1', '169.253.255.255', '169.255.0.1', '100.100.100.201']) {
    it(`lets ${ip} through`, () => assert.equal(refusalOf(ip, false), null));
  }

  it('checkHost refuses metadata names before resolving, and names that resolve to a refused address', async () => {
    const dns = fakeDns({ 'files.example': ['203.0.113.7'], 'rebound.example': ['203.0.113.7', '169.254.169.254'], 'loop.example': ['127.0.0.1'] });
    await assert.rejects(checkHost('metadata.google.internal', true, dns), (e: unknown) => e instanceof AddressRefusedError && e.refusal === 'metadata');
    await assert.rejects(checkHost('METADATA.GOOGLE.INTERNAL.', true, dns), AddressRefusedError);
    await assert.rejects(checkHost('rebound.example', true, dns), (e: unknown) => e instanceof AddressRefusedError && /169\.254\.169\.254/.test(e.message));
    await assert.rejects(checkHost('loop.example', false, dns), (e: unknown) => e instanceof AddressRefusedError && e.refusal === 'loopback');
    await checkHost('loop.example', true, dns);
    await checkHost('files.example', false, dns);
    await assert.rejects(checkHost('[fe80::1]', true, dns), AddressRefusedError);
    await checkHost('unknown.example', false, dns);
  });

  it('guardedLookup answers like dns.lookup for allowed names, one address or all of them', async () => {
    const fn = guardedLookup({ allowLoopback: false, resolve: fakeDns({ 'files.example': ['203.0.113.7', '2001:db8::7'] }) });
    const one = await lookupOnce(fn, 'files.example');
    assert.equal(one.err, null);
    assert.equal(one.address, '203.0.113.7');
    assert.equal(one.family, 4);
    const six = await lookupOnce(fn, 'files.example', { family: 6 });
    assert.equal(six.address, '2001:db8::7');
    const all = await lookupOnce(fn, 'files.example', { all: true });
    assert.deepEqual(all.address, [{ address: '203.0.113.7', family: 4 }, { address: '2001:db8::7', family: 6 }]);
  });

  it('guardedLookup refuses a name that resolves (even partly) to a refused address, and metadata names', async () => {
    const dns = fakeDns({ 'rebound.example': ['203.0.113.7', '::ffff:169.254.169.254'], localhost: ['127.0.0.1', '::1'] });
    const strict = guardedLookup({ allowLoopback: false, resolve: dns });
    const rebound = await lookupOnce(strict, 'rebound.example');
    assert.ok(rebound.err instanceof AddressRefusedError);
    assert.match(rebound.err.message, /address refused: rebound\.example resolves to 169\.254\.169\.254, a cloud metadata service/);
    assert.ok((await lookupOnce(strict, 'localhost')).err instanceof AddressRefusedError);
    assert.ok((await lookupOnce(strict, 'metadata.google.internal')).err instanceof AddressRefusedError);
    const loose = guardedLookup({ allowLoopback: true, resolve: dns });
    assert.equal((await lookupOnce(loose, 'localhost')).address, '127.0.0.1');
    assert.ok((await lookupOnce(loose, 'rebound.example')).err instanceof AddressRefusedError);
  });

  it('a real socket through guardedLookup is refused before connecting', async () => {
    const { connect } = await import('node:net');
    const socket = connect({ host: 'localhost', port: 9, lookup: guardedLookup({ allowLoopback: false }) });
    const err = await new Promise<Error>((resolve) => socket.once('error', resolve));
    assert.ok(err instanceof AddressRefusedError, String(err));
  });
});
