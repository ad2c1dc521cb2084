import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalDriver, StorageError, StorageNotFoundError, StoragePathError, type PositionedReader } from '@mft/storage';
import { PooledFileBody } from './pooled-file-body.js';

const MiB = 1024 * 1024;

/** Reads `body` to its end like the portal does: copies each chunk, then says it was sent (or not). */
async function drain(body: PooledFileBody, release: boolean): Promise<{ bytes: Buffer; distinct: number }> {
  const parts: Buffer[] = [];
  const memories = new Set<ArrayBufferLike>();
  for await (const chunk of body as AsyncIterable<Buffer>) {
    parts.push(Buffer.from(chunk));
    memories.add(chunk.buffer);
    if (release) {
      body.release(chunk);
    }
  }
  return { bytes: Buffer.concat(parts), distinct: memories.size };
}

describe(PooledFileBody.name, () => {
  const root = mkdtempSync(join(tmpdir(), 'mft-pooled-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const content = randomBytes(9 * MiB + 12345);
  writeFileSync(join(root, 'copy.bin'), content);
  const driver = new LocalDriver(root);

  it('delivers every byte of the file, cycling its own few buffers when the consumer releases them', async () => {
    const reader = await driver.openReader('copy.bin');
    assert.equal(reader.size, content.length);
    const { bytes, distinct } = await drain(new PooledFileBody(reader, 0, content.length), true);
    assert.ok(bytes.equals(content));
    assert.ok(distinct <= 4, `${distinct} buffers for 10 chunks`);
  });

  it('delivers exactly a range, including a range inside one chunk and a one-byte range', async () => {
    for (const [start, end] of [
      [MiB - 7, 5 * MiB + 3],
      [100, 200],
      [content.length - 1, content.length],
    ] as const) {
      const { bytes } = await drain(new PooledFileBody(await driver.openReader('copy.bin'), start, end), true);
      assert.ok(bytes.equals(content.subarray(start, end)), `${start}-${end}`);
    }
  });

  it('never reuses a chunk that was not released: a consumer that keeps chunks gets fresh buffers', async () => {
    const { bytes, distinct } = await drain(new PooledFileBody(await driver.openReader('copy.bin'), 0, content.length), false);
    assert.ok(bytes.equals(content));
    assert.equal(distinct, 10);
  });

  it('fails, instead of ending early, when the copy is shorter than the range', async () => {
    writeFileSync(join(root, 'short.bin'), content.subarray(0, 3 * MiB));
    const reader = await driver.openReader('short.bin');
    truncateSync(join(root, 'short.bin'), 2 * MiB);
    await assert.rejects(drain(new PooledFileBody(reader, 0, 3 * MiB), true), /ended 1048576 bytes before its recorded size/);
  });

  it('closes the file once, and only after the read under way has called back, when destroyed mid-read', async () => {
    const inner = await driver.openReader('copy.bin');
    const events: string[] = [];
    const reader: PositionedReader = {
      size: inner.size,
      read: (buffer, length, position, done) => {
        events.push('read');
        setTimeout(() => inner.read(buffer, length, position, (err, n) => (events.push('read done'), done(err, n))), 30);
      },
      close: async () => {
        events.push('close');
        await inner.close();
      },
    };
    const body = new PooledFileBody(reader, 0, content.length);
    body.on('error', () => undefined);
    body.resume();
    await new Promise((r) => setTimeout(r, 5));
    body.destroy(new Error('client went away'));
    await new Promise((r) => body.once('close', r));
    assert.deepEqual(events, ['read', 'read done', 'close']);
  });

  it('refuses a key outside the root, as openRead does', async () => {
    await assert.rejects(driver.openReader('../copy.bin'), (e) => e instanceof StoragePathError || e instanceof StorageError);
    await assert.rejects(driver.openReader('missing.bin'), StorageNotFoundError);
  });
});
