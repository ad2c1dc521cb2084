import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Database } from '@mft/db';
import { createSendLink, listLinks, partialUpload, stagedFiles, stopGateway, storedFiles, TestGateway, waitFor, within } from '@mft/testing';

/** A product hang fails the test instead of stalling the run. */
const LIMIT = { timeout: 90_000 };

/** What a raw connection received, and whether the server closed it. */
interface Exchange {
  readonly socket: Socket;
  readonly received: () => string;
  /** Resolves when the server has closed (or reset) the connection. */
  readonly closed: Promise<void>;
  readonly isClosed: () => boolean;
}

/** Opens a plain TCP connection to `port` (from `localAddress`, a loopback address) and writes `bytes`. */
async function openRaw(port: number, bytes: Buffer | string = '', localAddress = '127.0.0.1', allowHalfOpen = false): Promise<Exchange> {
  // allowHalfOpen: the client keeps its side open after the server's FIN, so only the server can end the connection.
  const socket = connect({ host: '127.0.0.1', port, localAddress, allowHalfOpen });
  const chunks: Buffer[] = [];
  let isClosed = false;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  if (bytes.length > 0) {
    socket.write(bytes);
  }
  return { socket, received: () => Buffer.concat(chunks).toString('latin1'), closed, isClosed: () => isClosed };
}

/** The status and JSON body of the (first) response on a raw connection. */
function parseResponse(raw: string): { status: number; headers: string; body: Record<string, unknown> } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split);
  const rest = raw.slice(split + 4);
  const chunked = /transfer-encoding: chunked/i.test(headers);
  const text = chunked ? rest.replace(/^[0-9a-f]+\r\n/i, '').replace(/\r\n0\r\n\r\n$/, '') : rest;
  return { status, headers, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** A complete multipart POST /api/v1/links request (headers and the body as given). */
function uploadRequest(token: string, body: Buffer | string, opts: { boundary?: string; contentLength?: number } = {}): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1');
  const head =
    `POST /api/v1/links HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: multipart/form-data; boundary=${opts.boundary ?? 'zz'}\r\nContent-Length: ${opts.contentLength ?? b.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), b]);
}

/** The rows of pending_uploads. On the embedded database the gateway is stopped to read them, then started again. */
async function pendingUploads(gw: TestGateway): Promise<number> {
  if (gw.databaseUrl) {
    const client = new pg.Client({ connectionString: gw.databaseUrl });
    await client.connect();
    try {
      return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM pending_uploads')).rows[0]!.n);
    } finally {
      await client.end();
    }
  }
  await gw.kill('SIGTERM');
  const db = await Database.open({ url: null, dataDir: gw.dataDir });
  try {
    return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM pending_uploads'))[0]!.n);
  } finally {
    await db.close();
    await gw.launch();
  }
}

/** The gateway still serves: its process runs and an authenticated request answers 200. */
async function assertAlive(gw: TestGateway, token: string): Promise<void> {
  assert.doesNotThrow(() => process.kill(gw.pid!, 0), `the gateway process is gone:\n${gw.output()}`);
  const res = await fetch(`${gw.baseUrl}/api/v1/links`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `a following request is served:\n${gw.output()}`);
}

const noSendFiles = (gw: TestGateway): boolean => storedFiles(gw).length === 0;

describe('a broken or abandoned upload cannot end the gateway or leave anything behind', () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await TestGateway.start({ env: { HTTP_IDLE_SECONDS: '2' } });
    token = await gw.token();
  });
  after(async () => stopGateway(gw));

  it('a body that ends inside a file part answers 400 invalid_multipart, and the gateway lives', LIMIT, async () => {
    const body = '--zz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nabc';
    const ex = await openRaw(gw.port, uploadRequest(token, body));
    await within(waitFor(() => /\r\n\r\n\{.*\}/s.test(ex.received()), { what: 'the answer', ms: 20_000 }), 25_000, 'the answer');
    const res = parseResponse(ex.received());
    assert.equal(res.status, 400, ex.received());
    assert.equal(res.body.code, 'invalid_multipart');
    assert.match(String(res.body.message), /multipart body could not be read: Unexpected end of form/);
    ex.socket.destroy();
    await assertAlive(gw, token);
    assert.deepEqual(await listLinks(gw, token), [], 'no link was created');
    await waitFor(() => noSendFiles(gw), { what: 'no stored or staged bytes', detail: () => JSON.stringify(storedFiles(gw)) });
  });

  it('a client that hangs up right after a file part’s headers does not end the gateway', LIMIT, async () => {
    for (let i = 0; i < 5; i++) {
      const head = '--zz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n';
      const ex = await openRaw(gw.port, uploadRequest(token, head, { contentLength: head.length + 1000 }));
      await new Promise((r) => setTimeout(r, i * 5));
      ex.socket.destroy();
    }
    await new Promise((r) => setTimeout(r, 500));
    await assertAlive(gw, token);
    assert.deepEqual(await listLinks(gw, token), [], 'no link was created');
    await waitFor(() => noSendFiles(gw), { what: 'no stored or staged bytes', detail: () => JSON.stringify(storedFiles(gw)) });
  });

  it('a body that ends inside the second file answers 400 and commits no link with the first file', LIMIT, async () => {
    const body =
      '--zz\r\nContent-Disposition: form-data; name="file"; filename="one.txt"\r\n\r\nfirst file\r\n' +
      '--zz\r\nContent-Disposition: form-data; name="file"; filename="two.txt"\r\n\r\nsecond fi';
    const ex = await openRaw(gw.port, uploadRequest(token, body));
    await within(waitFor(() => /\r\n\r\n\{.*\}/s.test(ex.received()), { what: 'the answer', ms: 20_000 }), 25_000, 'the answer');
    const res = parseResponse(ex.received());
    assert.equal(res.status, 400, ex.received());
    assert.equal(res.body.code, 'invalid_multipart');
    ex.socket.destroy();
    await assertAlive(gw, token);
    assert.deepEqual(await listLinks(gw, token), [], 'no link was created');
    await waitFor(() => noSendFiles(gw), { what: 'no stored or staged bytes', detail: () => JSON.stringify(storedFiles(gw)) });
  });

  it('a multi-file upload cut during its second file leaves no link, no files and no pending rows', LIMIT, async () => {
    const first = randomBytes(256 * 1024);
    const head =
      '--zz\r\nContent-Disposition: form-data; name="file"; filename="one.bin"\r\n\r\n';
    const second = '\r\n--zz\r\nContent-Disposition: form-data; name="file"; filename="two.bin"\r\n\r\n';
    const sent = Buffer.concat([Buffer.from(head, 'latin1'), first, Buffer.from(second, 'latin1'), randomBytes(64 * 1024)]);
    const ex = await openRaw(gw.port, uploadRequest(token, sent, { contentLength: sent.length + 10 * 1024 * 1024 }));
    // The second file is being written when the client goes away.
    await waitFor(() => stagedFiles(gw).length > 0 || storedFiles(gw).some((f) => f.path.startsWith('send/')), { what: 'the upload to be stored' });
    await new Promise((r) => setTimeout(r, 200));
    ex.socket.destroy();
    await waitFor(() => noSendFiles(gw), { what: 'no stored or staged bytes', detail: () => JSON.stringify(storedFiles(gw)) });
    await assertAlive(gw, token);
    assert.deepEqual(await listLinks(gw, token), [], 'no link was created');
  });

  it('an upload that goes silent is cut after http.idleSeconds and its staged bytes are discarded', LIMIT, async () => {
    const up = partialUpload(gw.baseUrl, token, { declaredBytes: 8 * 1024 * 1024, sendBytes: 1024 * 1024 });
    await up.sent;
    const answer = await within(up.response, 30_000, 'the silent upload to be cut');
    assert.equal(answer, null, 'the connection was closed without an answer');
    await waitFor(() => noSendFiles(gw), { what: 'no stored or staged bytes', detail: () => JSON.stringify(storedFiles(gw)) });
    await assertAlive(gw, token);
    assert.deepEqual(await listLinks(gw, token), [], 'no link was created');
    assert.match(gw.output(), /"msg":"connection idle, closed"/);
  });

  it('a download whose client stops reading is cut after http.idleSeconds', LIMIT, async () => {
    const content = randomBytes(32 * 1024 * 1024);
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'big.bin', content }]);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const url = new URL(created.body.grants[0]!.url);
    const meta = (await (await fetch(url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
    const ex = await openRaw(gw.port, `GET ${url.pathname}/files/${meta.files[0]!.id} HTTP/1.1\r\nHost: x\r\n\r\n`);
    // Stop reading at the first bytes (over loopback the rest would arrive within milliseconds).
    ex.socket.once('data', () => ex.socket.pause());
    await waitFor(() => ex.received().length > 0, { what: 'the download to start' });
    await waitFor(() => /"msg":"connection idle, closed".*"method":"GET"/.test(gw.output()), { what: 'the stalled download to be cut', ms: 30_000 });
    ex.socket.resume();
    await within(ex.closed, 20_000, 'the connection to end');
    assert.match(ex.received(), /^HTTP\/1\.1 200 /);
    assert.ok(ex.received().length < content.length, 'the download did not complete');
    await assertAlive(gw, token);
    const del = await fetch(`${gw.baseUrl}/api/v1/links/${created.body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    assert.equal(del.status, 204);
  });

  it('no pending upload rows are left by any of the above', LIMIT, async () => {
    assert.equal(await pendingUploads(gw), 0);
  });
});

describe('an answer to an unread body closes the connection', () => {
  let gw: TestGateway;

  before(async () => {
    gw = await TestGateway.start({ env: { HTTP_IDLE_SECONDS: '30' } });
  });
  after(async () => stopGateway(gw));

  for (const [name, request] of [
    ['an unauthenticated multipart upload', 'POST /api/v1/links HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=zz\r\nContent-Length: 1000000000\r\n\r\n-'],
    ['an unauthenticated JSON body', 'POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{'],
  ] as const) {
    it(`${name} declaring 1 GB and sent a byte a second gets its answer, then the socket is closed`, LIMIT, async () => {
      const ex = await openRaw(gw.port, request, '127.0.0.1', true);
      const dribble = setInterval(() => ex.socket.write('x'), 1000);
      try {
        await within(waitFor(() => /\r\n\r\n\{.*\}/s.test(ex.received()), { what: 'the answer', ms: 20_000 }), 25_000, 'the answer');
        const res = parseResponse(ex.received());
        assert.equal(res.status, request.includes('json') ? 413 : 401, ex.received());
        assert.equal(res.body.code, request.includes('json') ? 'body_too_large' : 'authentication_required');
        assert.match(res.headers, /\r\nconnection: close/i);
        await within(ex.closed, 20_000, 'the server to close the connection');
      } finally {
        clearInterval(dribble);
        ex.socket.destroy();
      }
    });
  }
});

describe('connections per client address are capped', () => {
  let gw: TestGateway;

  before(async () => {
    gw = await TestGateway.start({ env: { HTTP_MAX_CONNECTIONS_PER_IP: '3', TRUSTED_PROXIES: '127.0.0.3' } });
  });
  after(async () => stopGateway(gw));

  const ask = async (ex: Exchange): Promise<number> => {
    ex.socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => ex.isClosed() || /\r\n\r\n/.test(ex.received()), { what: 'an answer or a close' });
    return parseResponse(ex.received()).status;
  };

  it('beyond the cap a new connection from the same address is closed unanswered; others are served', LIMIT, async () => {
    const held = [await openRaw(gw.port, '', '127.0.0.2'), await openRaw(gw.port, '', '127.0.0.2'), await openRaw(gw.port, '', '127.0.0.2')];
    try {
      const extra = await openRaw(gw.port, '', '127.0.0.2');
      await within(extra.closed, 10_000, 'the connection over the cap to be closed');
      assert.equal(extra.received(), '', 'nothing was served on it');
      const other = await openRaw(gw.port, '', '127.0.0.4');
      assert.equal(await ask(other), 200, 'another address is served');
      other.socket.destroy();
      assert.equal(await ask(held[0]!), 200, 'the connections within the cap are served');
      held[1]!.socket.destroy();
      await held[1]!.closed;
      const again = await waitFor(
        async () => {
          const ex = await openRaw(gw.port, '', '127.0.0.2');
          if ((await ask(ex)) === 200) {
            return ex;
          }
          ex.socket.destroy();
          return null;
        },
        { what: 'a connection to be accepted again once one closed' },
      );
      again.socket.destroy();
      assert.match(gw.output(), /"msg":"too many connections from one address, closed".*"ip":"127\.0\.0\.2"/);
    } finally {
      for (const h of held) {
        h.socket.destroy();
      }
    }
  });

  it('a trusted proxy is not held to the per-address cap', LIMIT, async () => {
    const conns = await Promise.all([0, 1, 2, 3, 4].map(() => openRaw(gw.port, '', '127.0.0.3')));
    try {
      for (const c of conns) {
        assert.equal(await ask(c), 200);
      }
    } finally {
      for (const c of conns) {
        c.socket.destroy();
      }
    }
  });
});

describe('a refusal decided while an upload is read always reaches the client', () => {
  let gw: TestGateway;
  let token: string;

  before(async () => {
    gw = await TestGateway.start();
    token = await gw.token();
    const put = await fetch(`${gw.baseUrl}/api/v1/policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ files: { maxFileBytes: 10, maxTotalBytes: 100 } }),
    });
    assert.equal(put.status, 200, await put.text());
  });
  after(async () => stopGateway(gw));

  it('400 uploads of an 11-byte file over a 10-byte limit, 8 at a time through fetch and FormData, all get 422', { timeout: 300_000 }, async () => {
    const statuses: Array<number | string> = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 400) {
        next++;
        try {
          const created = await within(createSendLink(gw.baseUrl, token, [{ name: 'big.txt', content: '0123456789A' }]), 60_000, 'an answer');
          statuses.push(created.status === 422 ? `${created.status} ${created.body.code}` : `${created.status} ${JSON.stringify(created.body)}`);
        } catch (err) {
          statuses.push(String(err));
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const wrong = statuses.filter((s) => s !== '422 policy_file_too_large');
    assert.equal(statuses.length, 400);
    assert.deepEqual(wrong, [], `${wrong.length} of 400 did not get their 422`);
    assert.equal(stagedFiles(gw).length, 0);
  });
});
