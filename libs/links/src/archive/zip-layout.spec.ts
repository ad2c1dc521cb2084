import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { ArchiveEntryChangedError, archiveCoverage, openArchiveRange, planArchive, type ArchiveByteRange, type ArchiveEntryInput, type ArchivePlan, type ArchiveSource } from './index.js';

const GiB = 1024 ** 3;
const at = new Date('2026-11-30T12:34:56Z');
const entry = (name: string, size: number, version = 'v1'): ArchiveEntryInput => ({ name, size, modifiedAt: at, version });

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) {
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** A source over in-memory contents that records what it was asked for. */
function memorySource(contents: readonly Buffer[]): ArchiveSource & { opened: Array<[number, ArchiveByteRange]>; crcAsked: number[] } {
  const opened: Array<[number, ArchiveByteRange]> = [];
  const crcAsked: number[] = [];
  return {
    opened,
    crcAsked,
    open: (i, r) => {
      opened.push([i, r]);
      const bytes = contents[i]!.subarray(r.start, r.end + 1);
      // Several chunks, so that entries cross chunk boundaries.
      const parts: Buffer[] = [];
      for (let o = 0; o < bytes.length; o += 1000) {
        parts.push(bytes.subarray(o, o + 1000));
      }
      return Promise.resolve(Readable.from(parts));
    },
    crc32: (i) => {
      crcAsked.push(i);
      return Promise.resolve(crc32(contents[i]!));
    },
  };
}

/** The ZIP64 extended information extra field of a central directory header at `at`, as 8-byte values. */
function zip64Fields(buf: Buffer, at: number): bigint[] | null {
  const nameLength = buf.readUInt16LE(at + 28);
  const extraLength = buf.readUInt16LE(at + 30);
  let p = at + 46 + nameLength;
  const end = p + extraLength;
  while (p < end) {
    const id = buf.readUInt16LE(p);
    const len = buf.readUInt16LE(p + 2);
    if (id === 0x0001) {
      return Array.from({ length: len / 8 }, (_, k) => buf.readBigUInt64LE(p + 4 + 8 * k));
    }
    p += 4 + len;
  }
  return null;
}

describe('planArchive', () => {
  it('lays out a small archive: local header with the UTF-8 flag and a timestamp, the bytes, a 16-byte descriptor, the directory', async () => {
    const contents = [randomBytes(1234), Buffer.alloc(0), randomBytes(10)];
    const sut = planArchive([entry('första.txt', 1234), entry('tom', 0), entry('dir/sub/c.bin', 10)]);
    const nameBytes = Buffer.byteLength('första.txt');
    const [a, b, c] = sut.entries;
    assert.equal(a!.headerOffset, 0);
    assert.equal(a!.dataOffset, 30 + nameBytes + 9);
    assert.equal(a!.dataEnd, a!.dataOffset + 1234);
    assert.equal(a!.end, a!.dataEnd + 16);
    assert.equal(b!.headerOffset, a!.end);
    assert.equal(c!.headerOffset, b!.end);
    assert.equal(sut.centralDirectoryOffset, c!.end);
    assert.equal(sut.zip64EndOffset, null, 'no ZIP64 records for a small archive');
    assert.equal(sut.size, sut.endOffset + 22);
    assert.ok(sut.entries.every((e) => !e.zip64));

    const zip = await collect(await openArchiveRange(sut, null, memorySource(contents)));
    assert.equal(zip.length, sut.size, 'the planned size is the size written');
    assert.equal(zip.readUInt32LE(0), 0x04034b50);
    assert.equal(zip.readUInt16LE(6), 0x0808, 'data descriptor and UTF-8 flags');
    assert.equal(zip.readUInt32LE(14), 0, 'no CRC before the data');
    assert.equal(zip.subarray(30, 30 + nameBytes).toString('utf8'), 'första.txt');
    assert.equal(zip.readUInt16LE(30 + nameBytes), 0x5455, 'extended timestamp');
    assert.equal(zip.readUInt32LE(30 + nameBytes + 5), at.getTime() / 1000);
    assert.ok(zip.subarray(a!.dataOffset, a!.dataEnd).equals(contents[0]!), 'the bytes pass unchanged');
    assert.equal(zip.readUInt32LE(a!.dataEnd), 0x08074b50);
    assert.equal(zip.readUInt32LE(a!.dataEnd + 4), crc32(contents[0]!));
    assert.equal(zip.readUInt32LE(a!.dataEnd + 8), 1234);
    const central = a!.centralOffset;
    assert.equal(zip.readUInt32LE(central), 0x02014b50);
    assert.equal(zip.readUInt32LE(central + 16), crc32(contents[0]!));
    assert.equal(zip.readUInt32LE(central + 20), 1234);
    assert.equal(zip.readUInt32LE(central + 42), 0, 'local header offset');
    assert.equal(zip.readUInt32LE(c!.centralOffset + 42), c!.headerOffset);
    assert.equal(zip.readUInt32LE(c!.centralOffset + 38) >>> 16, 0o100644, 'a regular file, rw-r--r--');
    const end = sut.endOffset;
    assert.equal(zip.readUInt32LE(end), 0x06054b50);
    assert.equal(zip.readUInt16LE(end + 10), 3);
    assert.equal(zip.readUInt32LE(end + 12), sut.centralDirectorySize);
    assert.equal(zip.readUInt32LE(end + 16), sut.centralDirectoryOffset);
  });

  it('an archive of no entries is the 22-byte end record', async () => {
    const sut = planArchive([]);
    assert.equal(sut.size, 22);
    const zip = await collect(await openArchiveRange(sut, null, memorySource([])));
    assert.deepEqual([...zip], [0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]);
  });

  it('entries past 4 GiB: ZIP64 sizes, ZIP64 offsets and the ZIP64 end records, planned without reading a byte', async () => {
    const big = 5 * GiB;
    const sut = planArchive([entry('small-before.bin', 100), entry('big.iso', big), entry('after.bin', 7)]);
    const [small, large, after] = sut.entries;
    assert.equal(small!.zip64, false);
    assert.equal(large!.zip64, true);
    assert.equal(large!.dataOffset - large!.headerOffset, 30 + 'big.iso'.length + 20 + 9, 'a ZIP64 extra field in the local header');
    assert.equal(large!.end - large!.dataEnd, 24, 'a descriptor with 8-byte sizes');
    assert.ok(after!.headerOffset > 0xffffffff);
    assert.equal(after!.zip64, false);
    assert.notEqual(sut.zip64EndOffset, null);
    assert.equal(sut.size, sut.endOffset + 22);
    assert.equal(sut.endOffset - sut.zip64EndOffset!, 56 + 20);

    // The directory and the end records only: no entry is opened, the CRCs come from the source.
    const source = memorySource([]);
    source.crc32 = (i) => {
      source.crcAsked.push(i);
      return Promise.resolve([0x11111111, 0x22222222, 0x33333333][i]!);
    };
    source.open = () => Promise.reject(new Error('no entry data is in this range'));
    const tail = await collect(await openArchiveRange(sut, { start: sut.centralDirectoryOffset, end: sut.size - 1 }, source));
    assert.deepEqual(source.crcAsked, [0, 1, 2]);
    const rel = (o: number): number => o - sut.centralDirectoryOffset;
    assert.equal(tail.readUInt32LE(rel(large!.centralOffset) + 16), 0x22222222);
    assert.equal(tail.readUInt32LE(rel(large!.centralOffset) + 20), 0xffffffff);
    assert.equal(tail.readUInt32LE(rel(large!.centralOffset) + 24), 0xffffffff);
    assert.deepEqual(zip64Fields(tail, rel(large!.centralOffset)), [BigInt(big), BigInt(big)], 'sizes in the ZIP64 field; its offset fits 32 bits');
    assert.equal(tail.readUInt32LE(rel(after!.centralOffset) + 42), 0xffffffff);
    assert.deepEqual(zip64Fields(tail, rel(after!.centralOffset)), [BigInt(after!.headerOffset)], 'only the offset is in the ZIP64 field');
    assert.equal(zip64Fields(tail, rel(small!.centralOffset)), null);
    assert.equal(tail.readUInt16LE(rel(after!.centralOffset) + 6), 45, 'version needed 4.5 for ZIP64');
    const z = rel(sut.zip64EndOffset!);
    assert.equal(tail.readUInt32LE(z), 0x06064b50);
    assert.equal(tail.readBigUInt64LE(z + 32), 3n);
    assert.equal(tail.readBigUInt64LE(z + 40), BigInt(sut.centralDirectorySize));
    assert.equal(tail.readBigUInt64LE(z + 48), BigInt(sut.centralDirectoryOffset));
    assert.equal(tail.readUInt32LE(z + 56), 0x07064b50);
    assert.equal(tail.readBigUInt64LE(z + 64), BigInt(sut.zip64EndOffset!));
    assert.equal(tail.readUInt32LE(rel(sut.endOffset) + 16), 0xffffffff, 'the classic record points to the ZIP64 one');
    assert.equal(tail.readUInt16LE(rel(sut.endOffset) + 10), 3, 'a count that fits stays');
  });

  it('zip64 "always" writes every size, offset and count in ZIP64 records', async () => {
    const contents = [randomBytes(50), Buffer.alloc(0)];
    const sut = planArchive([entry('a', 50), entry('b', 0)], { zip64: 'always' });
    assert.ok(sut.entries.every((e) => e.zip64));
    const zip = await collect(await openArchiveRange(sut, null, memorySource(contents)));
    assert.equal(zip.length, sut.size);
    assert.deepEqual(zip64Fields(zip, sut.entries[1]!.centralOffset), [0n, 0n, BigInt(sut.entries[1]!.headerOffset)]);
    assert.equal(zip.readUInt16LE(sut.endOffset + 10), 0xffff);
    assert.equal(zip.readUInt32LE(sut.endOffset + 16), 0xffffffff);
    assert.notEqual(sut.etag, planArchive([entry('a', 50), entry('b', 0)]).etag, 'another layout, another ETag');
  });

  it('the ETag changes with any name, size, version or time, and only then', () => {
    const base = [entry('a', 1), entry('b', 2)];
    const sut = planArchive(base).etag;
    assert.match(sut, /^"zip1-[\w-]{32}"$/);
    assert.equal(planArchive([entry('a', 1), entry('b', 2)]).etag, sut);
    assert.notEqual(planArchive([entry('a', 1), entry('c', 2)]).etag, sut);
    assert.notEqual(planArchive([entry('a', 1), entry('b', 3)]).etag, sut);
    assert.notEqual(planArchive([entry('a', 1), entry('b', 2, 'v2')]).etag, sut);
    assert.notEqual(planArchive([entry('a', 1), { ...entry('b', 2), modifiedAt: new Date(at.getTime() + 2000) }]).etag, sut);
    assert.notEqual(planArchive([entry('b', 2), entry('a', 1)]).etag, sut);
  });

  it('refuses names an extractor could write outside its folder, duplicates, and unusable sizes', () => {
    for (const name of ['', '/etc/passwd', '../x', 'a/../../x', 'a//b', './a', 'a\\b', 'nul\0x', 'lone\uD800', 'a/./b']) {
      assert.throws(() => planArchive([entry(name, 1)]), TypeError, JSON.stringify(name));
    }
    assert.throws(() => planArchive([entry('a', 1), entry('a', 2)]), /twice/);
    assert.throws(() => planArchive([entry('folder/', 3)]), /size/);
    assert.throws(() => planArchive([entry('a', -1)]), /size/);
    assert.throws(() => planArchive([entry('a', 1.5)]), /size/);
    assert.throws(() => planArchive([{ ...entry('a', 1), modifiedAt: new Date(NaN) }]), /modification time/);
    assert.doesNotThrow(() => planArchive([entry('folder/', 0), entry('folder/x', 1), entry('…/ä b', 1)]));
  });
});

describe('archiveCoverage', () => {
  const sut: ArchivePlan = planArchive([entry('a', 100), entry('empty', 0), entry('b', 50)]);
  const [a, empty, b] = sut.entries;

  it('maps archive bytes to the data of each entry', () => {
    assert.deepEqual(archiveCoverage(sut, 0, a!.dataOffset), [], 'the header holds no data');
    assert.deepEqual(archiveCoverage(sut, 0, a!.dataOffset + 10), [{ index: 0, start: 0, end: 10 }]);
    assert.deepEqual(archiveCoverage(sut, a!.dataOffset + 10, b!.dataOffset + 5), [
      { index: 0, start: 10, end: 100 },
      { index: 1, start: 0, end: 0 },
      { index: 2, start: 0, end: 5 },
    ]);
    assert.deepEqual(archiveCoverage(sut, sut.centralDirectoryOffset, sut.size), []);
    assert.deepEqual(archiveCoverage(sut, 5, 5), []);
  });

  it('consecutive spans, wherever they are cut, hold every entry exactly once', () => {
    for (let cut = 1; cut < sut.size; cut += 1) {
      const both = [...archiveCoverage(sut, 0, cut), ...archiveCoverage(sut, cut, sut.size)];
      const empties = both.filter((c) => c.index === empty!.index);
      assert.equal(empties.length, 1, `cut at ${cut}`);
      for (const e of [a!, b!]) {
        const parts = both.filter((c) => c.index === e.index);
        assert.equal(
          parts.reduce((n, p) => n + p.end - p.start, 0),
          e.size,
          `cut at ${cut}`,
        );
      }
    }
  });
});

describe('openArchiveRange', () => {
  const contents = [randomBytes(5000), Buffer.alloc(0), randomBytes(3000), randomBytes(1)];
  const names = ['one.bin', 'empty', 'two/three.bin', 'last'];
  const sut = planArchive(names.map((n, i) => entry(n, contents[i]!.length)));

  it('reads a whole archive in one read of each entry, never asking for a CRC', async () => {
    const source = memorySource(contents);
    const zip = await collect(await openArchiveRange(sut, null, source));
    assert.equal(zip.length, sut.size);
    assert.deepEqual(source.opened, [
      [0, { start: 0, end: 4999 }],
      [2, { start: 0, end: 2999 }],
      [3, { start: 0, end: 0 }],
    ]);
    assert.deepEqual(source.crcAsked, []);
  });

  it('any range is the same bytes as that part of the whole, reading only the data it holds', async () => {
    const whole = await collect(await openArchiveRange(sut, null, memorySource(contents)));
    const cuts = [0, 1, 29, 30, sut.entries[0]!.dataOffset + 17, sut.entries[1]!.headerOffset + 3, sut.entries[2]!.dataEnd + 2, sut.centralDirectoryOffset + 5, sut.endOffset + 1, sut.size - 1];
    for (const start of cuts) {
      for (const end of cuts.filter((c) => c >= start)) {
        const source = memorySource(contents);
        const part = await collect(await openArchiveRange(sut, { start, end }, source));
        assert.ok(part.equals(whole.subarray(start, end + 1)), `bytes ${start}-${end}`);
        for (const [i, r] of source.opened) {
          const e = sut.entries[i]!;
          assert.ok(e.dataOffset + r.start >= start && e.dataOffset + r.end <= end, `entry ${i} read only within ${start}-${end}`);
        }
      }
    }
    const resumed = memorySource(contents);
    await collect(await openArchiveRange(sut, { start: sut.entries[2]!.dataOffset + 10, end: sut.size - 1 }, resumed));
    assert.deepEqual(resumed.crcAsked, [2, 0], 'the CRC of the entry read in part, then of the one before it, for the directory');
  });

  it('a range outside the archive is refused', async () => {
    for (const r of [{ start: 0, end: sut.size }, { start: -1, end: 3 }, { start: 5, end: 4 }, { start: 0.5, end: 3 }]) {
      await assert.rejects(openArchiveRange(sut, r, memorySource(contents)), RangeError);
    }
  });

  it('an entry shorter or longer than planned ends the stream with an error, never with a wrong archive', async () => {
    for (const changed of [contents[2]!.subarray(1), Buffer.concat([contents[2]!, Buffer.from('x')])]) {
      const source = memorySource([contents[0]!, contents[1]!, changed, contents[3]!]);
      // A source that answers more than the range asked for (as a store whose object grew may).
      const ranged = source.open;
      source.open = (i, r, signal) => (i === 2 ? Promise.resolve(Readable.from([changed])) : ranged(i, r, signal));
      const stream = await openArchiveRange(sut, null, source);
      await assert.rejects(collect(stream), (err: unknown) => err instanceof ArchiveEntryChangedError && err.entryIndex === 2 && err.code === 'archive_entry_changed');
    }
  });

  it('a source that cannot be opened for the first data of the range is reported before any byte', async () => {
    const source = memorySource(contents);
    source.open = () => Promise.reject(new Error('gone'));
    await assert.rejects(openArchiveRange(sut, null, source), /gone/);
  });

  it('backpressure reaches the source, and destroying the stream destroys the source stream', async () => {
    let produced = 0;
    let sourceStream: Readable | null = null;
    let aborted = false;
    const size = 64 * 1024 * 1024;
    const plan = planArchive([entry('big', size)]);
    const stream = await openArchiveRange(plan, null, {
      open: (_i, _r, signal) => {
        signal.addEventListener('abort', () => (aborted = true));
        sourceStream = new Readable({
          highWaterMark: 64 * 1024,
          read() {
            produced += 64 * 1024;
            this.push(Buffer.alloc(64 * 1024));
          },
        });
        return Promise.resolve(sourceStream);
      },
      crc32: () => Promise.reject(new Error('not needed')),
    });
    const first = await new Promise<Buffer>((resolve) => stream.once('data', (c: Buffer) => (stream.pause(), resolve(c))));
    assert.ok(first.length > 0);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(produced < 4 * 1024 * 1024, `the source is not read far ahead of the consumer (${produced} bytes)`);
    stream.destroy();
    await new Promise((r) => stream.once('close', r));
    assert.equal((sourceStream as Readable | null)?.destroyed, true);
    assert.equal(aborted, true);
  });
});
