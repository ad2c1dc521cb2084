import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { openArchiveRange, planArchive, type ArchiveEntryInput, type ArchivePlan, type ArchiveSource, type Zip64Mode } from './index.js';

const GiB = 1024 ** 3;

interface Generated {
  readonly name: string;
  /** Null for a folder entry. */
  readonly content: Buffer | null;
  readonly modifiedAt: Date;
}

/** Reads entries from files on disk, as a storage driver would, and counts what it was asked for. */
function diskSource(paths: readonly (string | null)[]): ArchiveSource & { reads: number; crcs: number } {
  const source = {
    reads: 0,
    crcs: 0,
    open: (i: number, r: { start: number; end: number }): Promise<Readable> => {
      source.reads += 1;
      return Promise.resolve(createReadStream(paths[i]!, { start: r.start, end: r.end, highWaterMark: 1024 * 1024 }));
    },
    crc32: async (i: number): Promise<number> => {
      source.crcs += 1;
      let crc = 0;
      for await (const chunk of createReadStream(paths[i]!, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
        crc = crc32(chunk, crc);
      }
      return crc;
    },
  };
  return source;
}

function run(cmd: string, args: readonly string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Python's zipfile on the archive: testzip, then each entry's name, flags, size, DOS time and SHA-256. */
function pythonRead(zipPath: string, readData = true): { bad: string | null; entries: Array<{ name: string; flags: number; size: number; time: number[]; sha256: string | null; offset: number; dir: boolean }> } {
  const script = `
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
read = sys.argv[2] == '1'
bad = z.testzip() if read else None
out = []
for i in z.infolist():
    out.append({'name': i.filename, 'flags': i.flag_bits, 'size': i.file_size, 'time': list(i.date_time), 'offset': i.header_offset, 'dir': i.is_dir(),
                'sha256': hashlib.sha256(z.read(i)).hexdigest() if read else None})
print(json.dumps({'bad': bad, 'entries': out}))
`;
  const r = run('python3', ['-c', script, zipPath, readData ? '1' : '0']);
  assert.equal(r.status, 0, r.out);
  return JSON.parse(r.out) as ReturnType<typeof pythonRead>;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The SHA-256 of the files `paths`, one after the other, read as streams. */
async function sha256Files(...paths: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const p of paths) {
    for await (const chunk of createReadStream(p)) {
      hash.update(chunk as Buffer);
    }
  }
  return hash.digest('hex');
}

async function writeArchive(plan: ArchivePlan, source: ArchiveSource, path: string, range: { start: number; end: number } | null = null): Promise<void> {
  await pipeline(await openArchiveRange(plan, range, source), createWriteStream(path));
}

describe('store-mode ZIP64 archives, checked with unzip, zipinfo and Python', () => {
  let dir: string;
  let files: Generated[];
  let paths: Array<string | null>;
  let inputs: ArchiveEntryInput[];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mft-zip-'));
    const t = (s: string): Date => new Date(s);
    files = [
      { name: 'readme.txt', content: Buffer.from('Read me first.\n'), modifiedAt: t('2026-01-02T03:04:06Z') },
      { name: 'empty.txt', content: Buffer.alloc(0), modifiedAt: t('2025-06-30T23:59:58Z') },
      { name: 'första rapport.pdf', content: randomBytes(300 * 1024), modifiedAt: t('2024-02-29T12:00:00Z') },
      { name: '日本語/ファイル名.bin', content: randomBytes(70 * 1024 + 3), modifiedAt: t('2026-11-30T08:15:30Z') },
      { name: 'a/b/c/deep.txt', content: Buffer.from('deep\n'), modifiedAt: t('2020-01-01T00:00:00Z') },
      { name: 'empty folder/', content: null, modifiedAt: t('2026-03-03T03:03:04Z') },
    ];
    paths = files.map((f, i) => {
      if (f.content === null) {
        return null;
      }
      const p = join(dir, 'src', String(i));
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.content);
      return p;
    });
    inputs = files.map((f) => ({ name: f.name, size: f.content?.length ?? 0, modifiedAt: f.modifiedAt, version: sha256(f.content ?? Buffer.alloc(0)) }));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const zip64 of ['auto', 'always'] as Zip64Mode[]) {
    it(`zip64 ${zip64}: unzip -t passes, zipinfo lists every entry stored, Python reads every byte, and extraction restores names and times`, async () => {
      const plan = planArchive(inputs, { zip64 });
      const zipPath = join(dir, `all-${zip64}.zip`);
      const source = diskSource(paths);
      await writeArchive(plan, source, zipPath);
      assert.equal(statSync(zipPath).size, plan.size, 'exactly the planned length');
      assert.equal(source.crcs, 0, 'a whole archive computes its CRCs while it reads');
      assert.equal(source.reads, files.filter((f) => f.content && f.content.length > 0).length, 'one read of each non-empty file');

      const test = run('unzip', ['-t', zipPath]);
      assert.equal(test.status, 0, test.out);
      assert.match(test.out, /No errors detected/);

      const info = run('zipinfo', [zipPath]);
      assert.equal(info.status, 0, info.out);
      assert.match(info.out, new RegExp(`number of entries: ${files.length}`));
      for (const f of files) {
        const line = info.out.split('\n').find((l) => l.endsWith(` ${f.name}`));
        assert.ok(line, `zipinfo lists ${f.name}:\n${info.out}`);
        assert.match(line, /\bstor\b/, 'stored, not compressed');
        assert.match(line, f.content === null ? /^drwxr-xr-x/ : /^-rw-r--r--/);
      }
      if (zip64 === 'always') {
        const verbose = run('zipinfo', ['-v', zipPath]);
        assert.match(verbose.out, /ID 0x0001 \(PKWARE 64-bit sizes\) and 24 data bytes/, 'zipinfo reads the ZIP64 fields');
      }

      const py = pythonRead(zipPath);
      assert.equal(py.bad, null, 'testzip finds no bad CRC');
      assert.deepEqual(
        py.entries.map((e) => e.name),
        files.map((f) => f.name),
      );
      for (const [i, e] of py.entries.entries()) {
        const f = files[i]!;
        assert.equal(e.flags & 0x800, 0x800, 'UTF-8 names');
        assert.equal(e.dir, f.content === null);
        assert.equal(e.size, f.content?.length ?? 0);
        assert.equal(e.sha256, sha256(f.content ?? Buffer.alloc(0)));
        const m = f.modifiedAt;
        assert.deepEqual(e.time, [m.getUTCFullYear(), m.getUTCMonth() + 1, m.getUTCDate(), m.getUTCHours(), m.getUTCMinutes(), m.getUTCSeconds() & ~1], 'DOS time in UTC');
        assert.equal(e.offset, plan.entries[i]!.headerOffset);
      }

      const out = join(dir, `out-${zip64}`);
      const x = run('unzip', ['-q', zipPath, '-d', out]);
      assert.equal(x.status, 0, x.out);
      for (const f of files) {
        const p = join(out, f.name);
        const st = statSync(p);
        if (f.content !== null) {
          assert.equal(await sha256Files(p), sha256(f.content), f.name);
        } else {
          assert.ok(st.isDirectory());
        }
        if (f.content !== null) {
          assert.equal(Math.floor(st.mtimeMs / 1000), f.modifiedAt.getTime() / 1000, `the extended timestamp gives ${f.name} its time`);
        }
      }
    });
  }

  it('an archive of no entries is an empty zip to unzip, zipinfo and Python', async () => {
    const plan = planArchive([]);
    const zipPath = join(dir, 'none.zip');
    await writeArchive(plan, diskSource([]), zipPath);
    const test = run('unzip', ['-t', zipPath]);
    assert.equal(test.status, 1, test.out);
    assert.match(test.out, /zipfile is empty/);
    assert.match(run('zipinfo', [zipPath]).out, /number of entries: 0/);
    assert.deepEqual(pythonRead(zipPath), { bad: null, entries: [] });
  });

  it('arbitrary split ranges, concatenated, are the full archive byte for byte', async () => {
    const plan = planArchive(inputs);
    const full = join(dir, 'full.zip');
    await writeArchive(plan, diskSource(paths), full);
    const whole = await sha256Files(full);
    for (let round = 0; round < 12; round += 1) {
      const cuts = [...new Set(Array.from({ length: randomInt(1, 8) }, () => randomInt(1, plan.size)))].sort((a, b) => a - b);
      const bounds = [0, ...cuts, plan.size];
      const parts: string[] = [];
      for (let k = 0; k + 1 < bounds.length; k += 1) {
        const p = join(dir, `part-${round}-${k}`);
        await writeArchive(plan, diskSource(paths), p, { start: bounds[k]!, end: bounds[k + 1]! - 1 });
        parts.push(p);
      }
      assert.equal(await sha256Files(...parts), whole, `cut at ${cuts.join(', ')}`);
    }
  });

  it('past 4 GiB: an entry larger than 4 GiB and one after it; Python and zipinfo read the ZIP64 sizes and offsets, and unzip lists them with their CRCs', async () => {
    // A sparse file: its 4 GiB of zeros take no disk space, and the archive is written sparse too.
    const bigSize = 4 * GiB + 1024 * 1024;
    const bigPath = join(dir, 'big.iso');
    writeFileSync(bigPath, '');
    truncateSync(bigPath, bigSize);
    const tail = randomBytes(4096);
    const tailPath = join(dir, 'after.bin');
    writeFileSync(tailPath, tail);
    const modifiedAt = new Date('2026-12-01T00:00:00Z');
    const plan = planArchive([
      { name: 'big.iso', size: bigSize, modifiedAt, version: 'sparse' },
      { name: 'after.bin', size: tail.length, modifiedAt, version: sha256(tail) },
    ]);
    const [big, small] = plan.entries;
    assert.ok(small!.headerOffset > 0xffffffff);
    let zeroCrc = 0;
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    for (let n = 0; n < bigSize; n += zeros.length) {
      zeroCrc = crc32(zeros.subarray(0, Math.min(zeros.length, bigSize - n)), zeroCrc);
    }
    const source = diskSource([bigPath, tailPath]);
    source.crc32 = (i) => Promise.resolve(i === 0 ? zeroCrc : crc32(tail));
    // The bytes before and after the big entry's data; its data is the hole between them.
    const zipPath = join(dir, 'big.zip');
    await writeArchive(plan, source, zipPath, { start: 0, end: big!.dataOffset - 1 });
    await pipeline(await openArchiveRange(plan, { start: big!.dataEnd, end: plan.size - 1 }, source), createWriteStream(zipPath, { flags: 'r+', start: big!.dataEnd }));
    assert.equal(statSync(zipPath).size, plan.size);
    assert.equal(source.reads, 1, 'only the entry after the hole was read');

    const py = pythonRead(zipPath, false);
    assert.deepEqual(
      py.entries.map((e) => [e.name, e.size, e.offset]),
      [
        ['big.iso', bigSize, 0],
        ['after.bin', tail.length, small!.headerOffset],
      ],
    );
    const readTail = run('python3', ['-c', `import hashlib,sys,zipfile; print(hashlib.sha256(zipfile.ZipFile(sys.argv[1]).read('after.bin')).hexdigest())`, zipPath]);
    assert.equal(readTail.out.trim(), sha256(tail), readTail.out);
    const info = run('zipinfo', ['-v', zipPath]);
    assert.match(info.out, new RegExp(`offset of local header from start of archive:\\s+${small!.headerOffset}`), info.out);
    // Info-ZIP reads the same records (testing every byte of 4 GiB would take a minute here).
    const list = run('unzip', ['-lv', zipPath]);
    assert.equal(list.status, 0, list.out);
    assert.match(list.out, new RegExp(`\\s${bigSize}\\s+Stored\\s+${bigSize}\\s.*\\s${zeroCrc.toString(16).padStart(8, '0')}\\s+big\\.iso`), list.out);
    assert.match(list.out, new RegExp(`\\s${tail.length}\\s+Stored\\s+${tail.length}\\s.*\\s${crc32(tail).toString(16).padStart(8, '0')}\\s+after\\.bin`), list.out);
  });
});
