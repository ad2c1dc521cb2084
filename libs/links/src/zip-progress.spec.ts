import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { ZipArchive } from 'archiver';
import { ZipEntryTracker } from './zip-progress.js';

/** A store-mode archive of `files` as the archive route builds it, and the tracker fed with it in small chunks. */
async function archive(files: ReadonlyArray<{ name: string; content: Buffer }>): Promise<{ zip: Buffer; sut: ZipEntryTracker }> {
  const zip = new ZipArchive({ store: true });
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    zip.on('data', (c: Buffer) => chunks.push(c));
    zip.on('end', resolve);
    zip.on('error', reject);
  });
  for (const f of files) {
    await new Promise<void>((resolve, reject) => {
      zip.once('entry', () => resolve());
      zip.once('error', reject);
      zip.append(Readable.from(f.content.length === 0 ? [] : [f.content]), { name: f.name, date: new Date(0) });
    });
  }
  await zip.finalize();
  await done;
  const whole = Buffer.concat(chunks);
  const sut = new ZipEntryTracker(files.map((f) => f.content.length));
  for (let i = 0; i < whole.length; i += 7) {
    sut.observe(whole.subarray(i, i + 7));
  }
  return { zip: whole, sut };
}

describe(ZipEntryTracker.name, () => {
  const files = [
    { name: 'första rapport.bin', content: randomBytes(1000) },
    { name: 'empty', content: Buffer.alloc(0) },
    { name: 'b.bin', content: randomBytes(333) },
  ];

  it('finds each entry\'s data exactly where the archive holds the file\'s bytes', async () => {
    const { zip, sut } = await archive(files);
    assert.equal(sut.lost, false);
    const starts = files.map((f) => zip.indexOf(f.content.length > 0 ? f.content : Buffer.from('empty')) + (f.content.length > 0 ? 0 : 'empty'.length));
    const progress = sut.progress(zip.length);
    assert.deepEqual(progress, files.map((f) => ({ bytes: f.content.length, complete: true })));
    // One byte short of the first entry's end: that entry is not complete, the next ones have nothing.
    const firstEnd = starts[0]! + files[0]!.content.length;
    assert.deepEqual(sut.progress(firstEnd - 1), [
      { bytes: 999, complete: false },
      { bytes: 0, complete: false },
      { bytes: 0, complete: false },
    ]);
    assert.deepEqual(sut.progress(firstEnd)[0], { bytes: 1000, complete: true });
    assert.deepEqual(sut.progress(starts[2]! + 10)[2], { bytes: 10, complete: false });
    assert.deepEqual(sut.progress(starts[2]! + 10)[1], { bytes: 0, complete: true }, 'the empty entry lies before it');
  });

  it('counts nothing before the first header has passed', () => {
    const sut = new ZipEntryTracker([5]);
    sut.observe(Buffer.from('PK\x03\x04', 'latin1'));
    assert.deepEqual(sut.progress(100), [{ bytes: 0, complete: false }]);
  });

  it('stops following a stream that is not the expected zip', () => {
    const sut = new ZipEntryTracker([5]);
    sut.observe(Buffer.alloc(64, 1));
    assert.equal(sut.lost, true);
    assert.deepEqual(sut.progress(64), [{ bytes: 0, complete: false }]);
  });
});
