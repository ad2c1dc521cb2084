import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { OpenRequests, peerAddress } from './connection-guard.js';

const socketFrom = (remoteAddress: string | undefined): Socket => ({ remoteAddress }) as Socket;

describe(peerAddress.name, () => {
  it('counts an IPv4-mapped IPv6 peer as its IPv4 address, so one client cannot double its cap', () => {
    assert.equal(peerAddress(socketFrom('::ffff:192.0.2.7')), '192.0.2.7');
    assert.equal(peerAddress(socketFrom('192.0.2.7')), '192.0.2.7');
    assert.equal(peerAddress(socketFrom('2001:db8::1')), '2001:db8::1');
  });

  it('has no address for a socket that already closed', () => {
    assert.equal(peerAddress(socketFrom(undefined)), null);
  });
});

describe(OpenRequests.name, () => {
  it('names the request open on a connection until it ends; a later request on the same connection replaces it', () => {
    const sut = new OpenRequests();
    const socket = socketFrom('192.0.2.7');
    const first = { id: 'a', method: 'POST', path: '/api/v1/links', ip: '192.0.2.7', started: 1000 };
    const second = { id: 'b', method: 'GET', path: '/readyz', ip: '192.0.2.7', started: 2000 };
    sut.add(socket, first);
    assert.deepEqual(sut.describe(1500), [{ id: 'a', method: 'POST', path: '/api/v1/links', ip: '192.0.2.7', ms: 500 }]);
    sut.add(socket, second);
    sut.remove(socket, first);
    assert.equal(sut.on(socket), second);
    sut.remove(socket, second);
    assert.equal(sut.size, 0);
  });
});
