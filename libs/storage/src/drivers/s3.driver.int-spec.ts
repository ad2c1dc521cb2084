import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3_TEST_CREDENTIALS, TestS3Server } from '@mft/testing';
import { StorageChangedError, StorageError, StorageNotFoundError, StoragePermissionError, StorageUnavailableError } from '../storage-driver.js';
import { S3Driver, S3_MAX_PARTS, S3_MIN_PART_SIZE, type S3DriverOptions } from './s3.driver.js';
import { generatedFile } from './s3.driver.upload-child.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

async function bytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) {
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

async function put(driver: S3Driver, key: string, body: Buffer | string | Readable, sizeHint?: number): Promise<void> {
  const w = await driver.beginWrite(key, `put-${key}`, sizeHint === undefined ? {} : { sizeHint });
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    w.stream.end(body);
    await finished(w.stream);
  } else {
    await pipeline(body, w.stream);
  }
  await w.commit();
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

describe(S3Driver.name, () => {
  let server: TestS3Server;
  let options: S3DriverOptions;
  let sut: S3Driver;
  let raw: S3Client;
  const drivers: S3Driver[] = [];
  const driver = (extra: Partial<S3DriverOptions> = {}): S3Driver => {
    const d = new S3Driver({ ...options, ...extra });
    drivers.push(d);
    return d;
  };

  before(async () => {
    server = await TestS3Server.start();
    options = { bucket: server.bucket, prefix: 'org/send', region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true, ...S3_TEST_CREDENTIALS };
    sut = driver();
    raw = new S3Client({ region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true, credentials: S3_TEST_CREDENTIALS });
  });
  after(async () => {
    drivers.forEach((d) => d.destroy());
    raw.destroy();
    await server.close();
  });

  it('declares what S3 can do', () => {
    assert.deepEqual(sut.capabilities, { rangeReads: true, atomicCommit: true, listing: true, serverSideCopy: true, resumableWrites: false });
  });

  it('grows the part size so that 10,000 parts hold the object, never below 5 MiB', () => {
    assert.equal(S3Driver.partSizeFor(8 * MiB), 8 * MiB);
    assert.equal(S3Driver.partSizeFor(1 * MiB, 1000), S3_MIN_PART_SIZE);
    assert.equal(S3Driver.partSizeFor(8 * MiB, GiB), 8 * MiB);
    const tenGiB = S3Driver.partSizeFor(8 * MiB, 100 * GiB);
    assert.equal(tenGiB, 11 * MiB);
    const fiveTiB = 5 * 1024 * GiB;
    const big = S3Driver.partSizeFor(8 * MiB, fiveTiB);
    assert.ok(big * S3_MAX_PARTS >= fiveTiB && (big - MiB) * S3_MAX_PARTS < fiveTiB);
  });

  it('stores exactly the bytes sent, in one part and in several (no aws-chunked framing or trailing checksum)', async () => {
    await put(sut, 'exact/small.txt', 'hello, exact bytes');
    assert.equal(readFileSync(server.objectFile('org/send/exact/small.txt'), 'utf8'), 'hello, exact bytes');
    const body = randomBytes(11 * MiB + 123);
    await put(driver({ partSize: 5 * MiB }), 'exact/multi.bin', body, body.length);
    const stored = readFileSync(server.objectFile('org/send/exact/multi.bin'));
    assert.equal(stored.length, body.length);
    assert.ok(stored.equals(body));
    assert.ok((await bytes(await sut.openRead('exact/multi.bin'))).equals(body));
    const info = await sut.stat('exact/multi.bin');
    assert.equal(info.size, body.length);
    assert.match(info.version, /^".+"$/, 'the version is the ETag');
  });

  const openUploads = async (key: string): Promise<string[]> =>
    ((await raw.send(new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: key }))).Uploads ?? []).filter((u) => u.Key === key).map((u) => u.UploadId!);
  const objectsUnder = async (prefix: string): Promise<string[]> =>
    ((await raw.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);

  it('stages a write as a multipart upload on the key itself: nothing at the key before commit, no staging object, the UploadId as reference', async () => {
    const body = randomBytes(11 * MiB + 5);
    const w = await driver({ partSize: 5 * MiB }).beginWrite('mpu/final.bin', 'mpu-1', { sizeHint: body.length });
    assert.deepEqual(await openUploads('org/send/mpu/final.bin'), [w.reference], 'the reference is the open upload on the key');
    w.stream.end(body);
    await finished(w.stream);
    await assert.rejects(raw.send(new HeadObjectCommand({ Bucket: server.bucket, Key: 'org/send/mpu/final.bin' })), (err: unknown) => (err as { name?: string }).name === 'NotFound');
    assert.deepEqual(await objectsUnder('org/send/.staging/'), [], 'no staging object is written');
    // s3rver keeps the parts of an open upload as files named by part number.
    const partsDir = join(server.directory, server.bucket, '._S3rver_uploads', w.reference);
    const partSizes = readdirSync(partsDir)
      .filter((n) => /^\d+$/.test(n))
      .sort((x, y) => Number(x) - Number(y))
      .map((n) => statSync(join(partsDir, n)).size);
    assert.deepEqual(partSizes, [5 * MiB, 5 * MiB, MiB + 5], 'parts of exactly partSize, the last one short');
    await w.commit();
    assert.deepEqual(await openUploads('org/send/mpu/final.bin'), [], 'commit completed the upload');
    assert.ok(readFileSync(server.objectFile('org/send/mpu/final.bin')).equals(body));
    assert.deepEqual(await objectsUnder('org/send/.staging/'), []);
  });

  it('stores empty, sub-part, exactly one part and one byte over a part, as sent', async () => {
    const d = driver({ partSize: 5 * MiB });
    for (const size of [0, 1, 4096, 5 * MiB, 5 * MiB + 1]) {
      const body = randomBytes(size);
      await put(d, `sizes/${size}.bin`, body, size);
      assert.equal((await sut.stat(`sizes/${size}.bin`)).size, size);
      assert.ok(readFileSync(server.objectFile(`org/send/sizes/${size}.bin`)).equals(body), `${size} bytes`);
      assert.deepEqual(await openUploads(`org/send/sizes/${size}.bin`), [], `${size} bytes: no upload left open`);
    }
  });

  it('discards a crashed write by its UploadId from another driver, or without it by the uploads open on that key', async () => {
    const crashed = driver({ partSize: 5 * MiB });
    const a = await crashed.beginWrite('crashed/a.bin', 'crash-a');
    a.stream.end(randomBytes(6 * MiB));
    await finished(a.stream);
    const b = await crashed.beginWrite('crashed/b.bin', 'crash-b');
    b.stream.write(randomBytes(MiB));
    assert.deepEqual(await openUploads('org/send/crashed/a.bin'), [a.reference]);
    const other = driver();
    await other.discardStaged('crashed/a.bin', 'crash-a', a.reference);
    await other.discardStaged('crashed/a.bin', 'crash-a', a.reference);
    assert.deepEqual(await openUploads('org/send/crashed/a.bin'), []);
    await other.discardStaged('crashed/b.bin', 'crash-b', null);
    assert.deepEqual(await openUploads('org/send/crashed/b.bin'), []);
    await assert.rejects(other.stat('crashed/a.bin'), StorageNotFoundError);
    await assert.rejects(other.stat('crashed/b.bin'), StorageNotFoundError);
    b.stream.destroy();
  });

  it('reads ranges across part boundaries, and pins them to a version with If-Match', async () => {
    const body = randomBytes(12 * MiB);
    await put(driver({ partSize: 5 * MiB }), 'ranges/parts.bin', body, body.length);
    for (const [start, end] of [
      [0, 0],
      [5 * MiB - 3, 5 * MiB + 2],
      [10 * MiB - 1, 12 * MiB - 1],
      [123_456, 123_456],
    ] as const) {
      assert.ok((await bytes(await sut.openRead('ranges/parts.bin', { start, end }))).equals(body.subarray(start, end + 1)), `${start}-${end}`);
    }
    const { version } = await sut.stat('ranges/parts.bin');
    assert.ok((await bytes(await sut.openRead('ranges/parts.bin', { start: 1, end: 4 }, { expectedVersion: version }))).equals(body.subarray(1, 5)));
    await assert.rejects(sut.openRead('ranges/parts.bin', { start: 1, end: 4 }, { expectedVersion: '"0123456789abcdef0123456789abcdef"' }), (err: unknown) => {
      assert.ok(err instanceof StorageChangedError);
      assert.equal(err.currentVersion, version);
      return true;
    });
  });

  it('lists in pages with folders, skipping what no key can reach, and a scope lists only its folder', async () => {
    const files = Array.from({ length: 23 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
    for (const f of files) {
      await put(sut, `listing/${f}`, f);
    }
    for (const d of ['d1', 'd2', 'd3']) {
      await put(sut, `listing/${d}/inner.txt`, d);
    }
    // Keys written by other tools that are not valid names here: left out, and the page still fills.
    for (const bad of ['listing/e\\bad', 'listing/e..%2fbad', 'listing/']) {
      await raw.send(new PutObjectCommand({ Bucket: server.bucket, Key: `org/send/${bad}`, Body: 'x' }));
    }
    const expected = [...['d1', 'd2', 'd3'], ...files].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await sut.list('listing', { cursor, limit: 4 });
      sizes.push(page.entries.length);
      seen.push(...page.entries.map((e) => e.name));
      cursor = page.next;
      if (cursor) {
        assert.match(cursor, /^s3\./);
      }
    } while (cursor);
    assert.deepEqual(seen, expected);
    assert.ok(sizes.slice(0, -1).every((n) => n === 4), `full pages: ${sizes.join(',')}`);
    // A folder is only a key prefix in S3: it has no modification time (not 1970).
    assert.deepEqual(
      (await sut.list('listing', { limit: 1 })).entries.map((e) => [e.name, e.kind, e.modifiedAt]),
      [['d1', 'folder', null]],
    );
    assert.equal((await sut.stat('listing/d1')).modifiedAt, null);
    assert.equal((await sut.stat('/')).modifiedAt, null);
    assert.ok((await sut.stat('listing/f00.txt')).modifiedAt instanceof Date);
    const scoped = sut.scope('listing/d2');
    assert.deepEqual(
      (await scoped.list('/')).entries.map((e) => [e.name, e.kind, e.size]),
      [['inner.txt', 'file', 2]],
    );
    await assert.rejects(sut.list('listing', { cursor: 's3.Zm9yZ2Vk' }), (err: unknown) => (err as { code?: string }).code === 'storage_cursor_invalid');
  });

  it('maps failures to the storage taxonomy, with the backend detail for operators only', async () => {
    await assert.rejects(sut.openRead('nothing/here.txt'), StorageNotFoundError);
    await assert.rejects(sut.stat('nothing/here.txt'), StorageNotFoundError);
    await assert.rejects(sut.openRead('nothing/here.txt', { start: 0, end: 9 }), StorageNotFoundError);
    // s3rver checks the access key id but not SigV4 signatures: an unknown key id is its 403.
    const wrongKey = driver({ accessKeyId: 'NOT-A-KEY-ID', secretAccessKey: 'not-the-secret' });
    await assert.rejects(wrongKey.stat('exact/small.txt'), StoragePermissionError);
    await assert.rejects(wrongKey.openRead('exact/small.txt'), (err: unknown) => {
      assert.ok(err instanceof StoragePermissionError);
      assert.ok(!err.message.includes('not-the-secret') && !err.operatorDetail.includes('not-the-secret'));
      return true;
    });
    await assert.rejects(wrongKey.ping(), StoragePermissionError);
    const noBucket = driver({ bucket: 'no-such-bucket' });
    await assert.rejects(noBucket.ping(), (err: unknown) => err instanceof StorageUnavailableError && !err.retryable);
    const nobody = await TestS3Server.start();
    const port = nobody.port;
    await nobody.close();
    const down = driver({ endpoint: `http://127.0.0.1:${port}` });
    await assert.rejects(down.stat('exact/small.txt'), (err: unknown) => {
      assert.ok(err instanceof StorageUnavailableError, String(err));
      assert.equal(err.retryable, true);
      assert.equal(err.message, 'The storage is temporarily unavailable. Try again in a moment.');
      assert.ok(!err.message.includes('127.0.0.1'));
      return true;
    });
    await sut.ping();
  });

  it('resolves every connection through the lookup it was given, so an address guard sees each one', async () => {
    const asked: string[] = [];
    const guarded = driver({
      endpoint: `http://s3.test.invalid:${server.port}`,
      lookup: (hostname, opts, callback) => {
        asked.push(hostname);
        if ((opts as { all?: boolean }).all) {
          callback(null, [{ address: '127.0.0.1', family: 4 }]);
        } else {
          callback(null, '127.0.0.1', 4);
        }
      },
    });
    assert.equal((await bytes(await guarded.openRead('exact/small.txt'))).toString(), 'hello, exact bytes');
    assert.ok(asked.includes('s3.test.invalid'));
    const refusing = driver({
      endpoint: `http://s3.test.invalid:${server.port}`,
      lookup: (_hostname, _opts, callback) => callback(Object.assign(new Error('address refused'), { code: 'EACCES' }), '', 4),
    });
    await assert.rejects(refusing.stat('exact/small.txt'), StorageError);
  });

  it('ends a read with a clean StorageError, without hanging, when the server goes away mid-stream', async () => {
    const size = 64 * MiB;
    await put(sut, 'away/big.bin', generatedFile(size), size);
    const stream = await sut.openRead('away/big.bin');
    let received = 0;
    const outcome = new Promise<unknown>((resolve) => {
      stream.on('error', resolve);
      stream.on('end', () => resolve('ended'));
    });
    // Read slowly so that the server still has most of the object to send when it stops.
    stream.on('data', (c: Buffer) => {
      received += c.length;
      stream.pause();
      setTimeout(() => stream.resume(), 5);
    });
    while (received < 4 * MiB) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await server.stop();
    const result = await Promise.race([outcome, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
    assert.notEqual(result, 'timeout', 'the stream neither ended nor failed');
    assert.notEqual(result, 'ended', 'a cut transfer must not look complete');
    assert.ok(result instanceof StorageUnavailableError, String(result));
    assert.equal(result.retryable, true);
    assert.ok(received < size);
    await server.listen();
    assert.equal((await sut.stat('away/big.bin')).size, size, 'the driver recovers once the server is back');
  });

  it(
    'uploads a generated 1 GiB file as a streamed multipart upload with bounded memory in the uploading process',
    { timeout: 15 * 60_000 },
    async () => {
      const size = GiB;
      const queueSize = 4;
      const partSize = 8 * MiB;
      const child = fileURLToPath(new URL('./s3.driver.upload-child.js', import.meta.url));
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [child, JSON.stringify({ options: { ...options, queueSize, partSize }, key: 'rss/one-gib.bin', size })],
        // Without the test runner's context variable the child is a plain process, as in production.
        { maxBuffer: MiB, timeout: 14 * 60_000, env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
      );
      const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { sha256: string; baselineRss: number; peakRss: number; seconds: number };
      const stored = server.objectFile('org/send/rss/one-gib.bin');
      assert.equal((await sut.stat('rss/one-gib.bin')).size, size);
      assert.equal(await sha256File(stored), report.sha256, 'the stored bytes are the generated ones');
      // The budget above the process's resident memory just before the upload: the part buffers
      // (queueSize in flight and the one being filled, reused from part to part), plus 72 MiB
      // because V8 frees the memory of the source's chunks only at its next collection, which
      // external memory triggers in steps of about 64 MiB. Measured on s3rver with 4 × 8 MiB:
      // 99 MiB of growth for 1 GiB (lib-storage's Upload, which copies each part once more, grew
      // 117 to 125 MiB).
      const budget = (queueSize + 1) * partSize + 72 * MiB;
      const growth = report.peakRss - report.baselineRss;
      process.stdout.write(
        `# 1 GiB upload: ${report.seconds.toFixed(1)} s, peak RSS ${(report.peakRss / MiB).toFixed(0)} MiB (baseline ${(report.baselineRss / MiB).toFixed(0)} MiB, growth ${(growth / MiB).toFixed(0)} MiB, budget ${budget / MiB} MiB)\n`,
      );
      assert.ok(growth <= budget, `RSS grew by ${(growth / MiB).toFixed(0)} MiB during the upload, above ${budget / MiB} MiB`);
      rmSync(stored, { force: true });
    },
  );
});
