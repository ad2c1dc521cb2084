/**
 * The byte layout of a store-mode (uncompressed) ZIP64 archive, known in full before its first byte.
 *
 * Why a layout of our own: a resumable archive needs its exact length up front and any byte range
 * of it on demand, without generating what precedes the range. No maintained zip writer on npm
 * does both. `archiver`/`zip-stream` stream an archive of unknown length; `yazl` reports the final
 * size only in its `end()` callback and writes from the start; `client-zip` can predict the length
 * (`predictLength`) but, like `@zip.js/zip.js` and `fflate`, only produces the archive from its
 * first byte on. Store mode makes the rest small: each entry's bytes pass through unchanged, so
 * every offset follows from the entries' names and sizes.
 *
 * The layout (version 1), identical for every request of the same plan:
 * - per entry, in order: a local header (flags: data descriptor, UTF-8 names; CRC-32 and sizes
 *   zero, as the data descriptor carries them; a ZIP64 extra field with zero sizes when the entry
 *   is a ZIP64 entry; an extended-timestamp extra field with the modification time), the entry's
 *   bytes unchanged, and a data descriptor (signature, CRC-32, sizes of 8 bytes for a ZIP64 entry,
 *   of 4 otherwise);
 * - the central directory: per entry a header with its CRC-32, sizes (0xFFFFFFFF and a ZIP64 extra
 *   field for a ZIP64 entry), local header offset (0xFFFFFFFF and a ZIP64 extra field when it does
 *   not fit 32 bits), Unix mode, and the extended-timestamp extra field;
 * - a ZIP64 end of central directory record and its locator when a count, size or offset does not
 *   fit the classic record, then the classic end record (no comment).
 * An entry is a ZIP64 entry when its size does not fit 32 bits. With `zip64: 'always'` every entry
 * is, and every offset, count and size is written in the ZIP64 records (what an archive past 4 GiB
 * needs, testable on small files). DOS times are UTC (2 s resolution); the extended timestamp
 * carries the Unix time to the second.
 *
 * The CRC-32 of an entry appears only after its bytes (descriptor, central directory), so a whole
 * archive can be written in one read of each entry, computing the CRCs on the way.
 */
import { createHash } from 'node:crypto';

/** The version of the byte layout; part of every ETag, so that a change of layout never resumes old bytes. */
export const ARCHIVE_LAYOUT_VERSION = 1;

/** One file (or, when its name ends with `/`, folder) to put in an archive. */
export interface ArchiveEntryInput {
  /** Its path inside the archive: `/`-separated segments, no empty, `.` or `..` segment, no backslash, no NUL. */
  readonly name: string;
  /** Its exact size in bytes (0 for a folder). */
  readonly size: number;
  readonly modifiedAt: Date;
  /** What identifies its content (a SHA-256, an S3 ETag): a different version gives a different archive ETag. */
  readonly version: string;
}

/** How the planner writes ZIP64 records: only where a value needs them, or everywhere. */
export type Zip64Mode = 'auto' | 'always';

export interface ArchivePlanOptions {
  /** Defaults to `auto`. */
  readonly zip64?: Zip64Mode;
}

/** Where one entry lies in the archive. Offsets are absolute; `end` and `dataEnd` are one past the last byte. */
export interface PlannedEntry {
  readonly index: number;
  readonly name: string;
  readonly size: number;
  readonly modifiedAt: Date;
  readonly version: string;
  readonly directory: boolean;
  /** Sizes are 8-byte values (a ZIP64 extra field in the local header, a 24-byte descriptor). */
  readonly zip64: boolean;
  readonly headerOffset: number;
  readonly dataOffset: number;
  /** One past its last byte of data: where its data descriptor starts. */
  readonly dataEnd: number;
  /** One past its data descriptor: where the next entry (or the central directory) starts. */
  readonly end: number;
  readonly centralOffset: number;
  readonly centralLength: number;
}

/** An archive's layout: its exact size, a strong ETag, and where every byte comes from. */
export interface ArchivePlan {
  readonly layoutVersion: number;
  readonly zip64: Zip64Mode;
  readonly entries: readonly PlannedEntry[];
  readonly centralDirectoryOffset: number;
  readonly centralDirectorySize: number;
  /** Where the ZIP64 end of central directory record starts, or null when the archive has none. */
  readonly zip64EndOffset: number | null;
  /** Where the (classic) end of central directory record starts. */
  readonly endOffset: number;
  /** The archive's length in bytes. */
  readonly size: number;
  /** A strong HTTP validator (quoted) of the archive's bytes: a hash of the layout version, the options and the entries. */
  readonly etag: string;
}

/** The data bytes of one entry that a span of archive bytes holds: `start` to `end` (exclusive), in the entry's own offsets. */
export interface EntryCoverage {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

const U32 = 0xffffffff;
const U16 = 0xffff;
const LOCAL_SIG = 0x04034b50;
const DESCRIPTOR_SIG = 0x08074b50;
const CENTRAL_SIG = 0x02014b50;
const ZIP64_END_SIG = 0x06064b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const END_SIG = 0x06054b50;
/** Bit 3: CRC-32 and sizes follow the data in a descriptor; bit 11: the name is UTF-8. */
const FLAGS = 0x0008 | 0x0800;
/** Made by Unix (3), specification 4.5. */
const MADE_BY = (3 << 8) | 45;
const LOCAL_FIXED = 30;
const CENTRAL_FIXED = 46;
const ZIP64_END_LENGTH = 56;
const ZIP64_LOCATOR_LENGTH = 20;
const END_LENGTH = 22;
/** Header ID, data size, flags (modification time present), the time. */
const TIMESTAMP_EXTRA = 9;

/** Refuses a name an extractor could write outside its target folder, or could not represent. */
function checkName(name: string): { bytes: number; directory: boolean } {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError('an archive entry needs a name');
  }
  if (/[\0\\]/.test(name) || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(name)) {
    throw new TypeError(`archive entry name ${JSON.stringify(name)} has a NUL, a backslash or a lone surrogate`);
  }
  const directory = name.endsWith('/');
  const segments = (directory ? name.slice(0, -1) : name).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new TypeError(`archive entry name ${JSON.stringify(name)} is absolute or has an empty, "." or ".." segment`);
  }
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > U16) {
    throw new TypeError(`archive entry name ${JSON.stringify(name.slice(0, 40))}… is longer than 65535 bytes`);
  }
  return { bytes, directory };
}

/**
 * Lays out an archive of `entries`, in their order: every offset, the exact size and the ETag, with
 * no I/O. Throws a `TypeError` for an unusable entry (name, size, date) or for duplicate names.
 */
export function planArchive(entries: readonly ArchiveEntryInput[], options: ArchivePlanOptions = {}): ArchivePlan {
  const mode: Zip64Mode = options.zip64 ?? 'auto';
  const always = mode === 'always';
  const seen = new Set<string>();
  const planned: PlannedEntry[] = [];
  let offset = 0;
  for (const [index, e] of entries.entries()) {
    const { bytes, directory } = checkName(e.name);
    if (seen.has(e.name)) {
      throw new TypeError(`archive entry name ${JSON.stringify(e.name)} appears twice`);
    }
    seen.add(e.name);
    if (!Number.isSafeInteger(e.size) || e.size < 0 || (directory && e.size !== 0)) {
      throw new TypeError(`archive entry ${JSON.stringify(e.name)} has an unusable size ${e.size}`);
    }
    if (!(e.modifiedAt instanceof Date) || Number.isNaN(e.modifiedAt.getTime())) {
      throw new TypeError(`archive entry ${JSON.stringify(e.name)} has no valid modification time`);
    }
    const zip64 = always || e.size >= U32;
    const headerOffset = offset;
    const dataOffset = headerOffset + LOCAL_FIXED + bytes + (zip64 ? 20 : 0) + TIMESTAMP_EXTRA;
    const dataEnd = dataOffset + e.size;
    const end = dataEnd + (zip64 ? 24 : 16);
    const centralZip64Fields = (zip64 ? 2 : 0) + (always || headerOffset >= U32 ? 1 : 0);
    const centralLength = CENTRAL_FIXED + bytes + (centralZip64Fields > 0 ? 4 + 8 * centralZip64Fields : 0) + TIMESTAMP_EXTRA;
    planned.push({ index, name: e.name, size: e.size, modifiedAt: e.modifiedAt, version: String(e.version), directory, zip64, headerOffset, dataOffset, dataEnd, end, centralOffset: 0, centralLength });
    offset = end;
  }
  const centralDirectoryOffset = offset;
  for (const [i, p] of planned.entries()) {
    planned[i] = { ...p, centralOffset: offset };
    offset += p.centralLength;
  }
  const centralDirectorySize = offset - centralDirectoryOffset;
  const needsZip64End = always || planned.length >= U16 || centralDirectorySize >= U32 || centralDirectoryOffset >= U32;
  const zip64EndOffset = needsZip64End ? offset : null;
  const endOffset = offset + (needsZip64End ? ZIP64_END_LENGTH + ZIP64_LOCATOR_LENGTH : 0);
  const size = endOffset + END_LENGTH;
  if (!Number.isSafeInteger(size)) {
    throw new TypeError('the archive would be larger than 2^53 bytes');
  }
  const hash = createHash('sha256')
    .update(JSON.stringify([ARCHIVE_LAYOUT_VERSION, mode, planned.map((p) => [p.name, p.size, p.modifiedAt.getTime(), p.version])]))
    .digest('base64url');
  return {
    layoutVersion: ARCHIVE_LAYOUT_VERSION,
    zip64: mode,
    entries: planned,
    centralDirectoryOffset,
    centralDirectorySize,
    zip64EndOffset,
    endOffset,
    size,
    etag: `"zip${ARCHIVE_LAYOUT_VERSION}-${hash.slice(0, 32)}"`,
  };
}

/**
 * The index of the first of `entries` whose part of the archive ends after `offset` (`entries.length`
 * when none does), by binary search: `endOf` must grow with the index.
 */
export function firstEndingAfter(entries: readonly PlannedEntry[], offset: number, endOf: (e: PlannedEntry) => number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (endOf(entries[mid]!) <= offset) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/**
 * The data bytes of each entry that the archive bytes `start` to `endExclusive` hold, in entry
 * order. An empty entry counts as held when the span holds the byte right after its local header,
 * so that consecutive spans covering the archive hold every entry exactly once.
 */
export function archiveCoverage(plan: ArchivePlan, start: number, endExclusive: number): EntryCoverage[] {
  const out: EntryCoverage[] = [];
  if (endExclusive <= start) {
    return out;
  }
  const entries = plan.entries;
  for (let i = firstEndingAfter(entries, start, (e) => e.end); i < entries.length && entries[i]!.headerOffset < endExclusive; i += 1) {
    const e = entries[i]!;
    if (e.size === 0) {
      if (start <= e.dataOffset && e.dataOffset < endExclusive) {
        out.push({ index: i, start: 0, end: 0 });
      }
      continue;
    }
    const from = Math.max(start, e.dataOffset);
    const to = Math.min(endExclusive, e.dataEnd);
    if (to > from) {
      out.push({ index: i, start: from - e.dataOffset, end: to - e.dataOffset });
    }
  }
  return out;
}

function dosDateTime(at: Date): { date: number; time: number } {
  const ms = at.getTime();
  const clamped = new Date(Math.min(Math.max(ms, Date.UTC(1980, 0, 1)), Date.UTC(2107, 11, 31, 23, 59, 58)));
  return {
    date: ((clamped.getUTCFullYear() - 1980) << 9) | ((clamped.getUTCMonth() + 1) << 5) | clamped.getUTCDate(),
    time: (clamped.getUTCHours() << 11) | (clamped.getUTCMinutes() << 5) | (clamped.getUTCSeconds() >> 1),
  };
}

const unixSeconds = (at: Date): number => Math.min(Math.max(Math.floor(at.getTime() / 1000), 0), U32);

function writeTimestampExtra(buf: Buffer, at: number, e: PlannedEntry): void {
  buf.writeUInt16LE(0x5455, at);
  buf.writeUInt16LE(5, at + 2);
  buf.writeUInt8(1, at + 4);
  buf.writeUInt32LE(unixSeconds(e.modifiedAt), at + 5);
}

const versionNeeded = (plan: ArchivePlan, e: PlannedEntry): number => (e.zip64 || plan.zip64 === 'always' || e.headerOffset >= U32 ? 45 : 20);

/** The local header of `e` (its length is `e.dataOffset - e.headerOffset`). */
export function localHeader(plan: ArchivePlan, e: PlannedEntry): Buffer {
  const name = Buffer.from(e.name, 'utf8');
  const buf = Buffer.alloc(e.dataOffset - e.headerOffset);
  const { date, time } = dosDateTime(e.modifiedAt);
  buf.writeUInt32LE(LOCAL_SIG, 0);
  buf.writeUInt16LE(versionNeeded(plan, e), 4);
  buf.writeUInt16LE(FLAGS, 6);
  buf.writeUInt16LE(0, 8);
  buf.writeUInt16LE(time, 10);
  buf.writeUInt16LE(date, 12);
  // CRC-32 (14) and sizes stay zero: the data descriptor has them.
  if (e.zip64) {
    buf.writeUInt32LE(U32, 18);
    buf.writeUInt32LE(U32, 22);
  }
  buf.writeUInt16LE(name.length, 26);
  buf.writeUInt16LE(buf.length - LOCAL_FIXED - name.length, 28);
  name.copy(buf, LOCAL_FIXED);
  let at = LOCAL_FIXED + name.length;
  if (e.zip64) {
    buf.writeUInt16LE(0x0001, at);
    buf.writeUInt16LE(16, at + 2);
    // Both sizes zero (bytes at + 4 to at + 20), as the descriptor carries them.
    at += 20;
  }
  writeTimestampExtra(buf, at, e);
  return buf;
}

/** The data descriptor after the bytes of `e` (its length is `e.end - e.dataEnd`). */
export function dataDescriptor(e: PlannedEntry, crc: number): Buffer {
  const buf = Buffer.alloc(e.end - e.dataEnd);
  buf.writeUInt32LE(DESCRIPTOR_SIG, 0);
  buf.writeUInt32LE(crc >>> 0, 4);
  if (e.zip64) {
    buf.writeBigUInt64LE(BigInt(e.size), 8);
    buf.writeBigUInt64LE(BigInt(e.size), 16);
  } else {
    buf.writeUInt32LE(e.size, 8);
    buf.writeUInt32LE(e.size, 12);
  }
  return buf;
}

/** The central directory header of `e` (its length is `e.centralLength`). */
export function centralHeader(plan: ArchivePlan, e: PlannedEntry, crc: number): Buffer {
  const name = Buffer.from(e.name, 'utf8');
  const buf = Buffer.alloc(e.centralLength);
  const { date, time } = dosDateTime(e.modifiedAt);
  const offsetIn64 = plan.zip64 === 'always' || e.headerOffset >= U32;
  buf.writeUInt32LE(CENTRAL_SIG, 0);
  buf.writeUInt16LE(MADE_BY, 4);
  buf.writeUInt16LE(versionNeeded(plan, e), 6);
  buf.writeUInt16LE(FLAGS, 8);
  buf.writeUInt16LE(0, 10);
  buf.writeUInt16LE(time, 12);
  buf.writeUInt16LE(date, 14);
  buf.writeUInt32LE(crc >>> 0, 16);
  buf.writeUInt32LE(e.zip64 ? U32 : e.size, 20);
  buf.writeUInt32LE(e.zip64 ? U32 : e.size, 24);
  buf.writeUInt16LE(name.length, 28);
  buf.writeUInt16LE(e.centralLength - CENTRAL_FIXED - name.length, 30);
  // Comment length, disk number, internal attributes: zero.
  const mode = e.directory ? 0o40755 : 0o100644;
  buf.writeUInt32LE(((mode << 16) | (e.directory ? 0x10 : 0)) >>> 0, 38);
  buf.writeUInt32LE(offsetIn64 ? U32 : e.headerOffset, 42);
  name.copy(buf, CENTRAL_FIXED);
  let at = CENTRAL_FIXED + name.length;
  const fields: number[] = [...(e.zip64 ? [e.size, e.size] : []), ...(offsetIn64 ? [e.headerOffset] : [])];
  if (fields.length > 0) {
    buf.writeUInt16LE(0x0001, at);
    buf.writeUInt16LE(8 * fields.length, at + 2);
    at += 4;
    for (const f of fields) {
      buf.writeBigUInt64LE(BigInt(f), at);
      at += 8;
    }
  }
  writeTimestampExtra(buf, at, e);
  return buf;
}

/** The ZIP64 end record and locator (when the plan has them) and the end of central directory record. */
export function endRecords(plan: ArchivePlan): Buffer {
  const start = plan.zip64EndOffset ?? plan.endOffset;
  const buf = Buffer.alloc(plan.size - start);
  const count = plan.entries.length;
  const always = plan.zip64 === 'always';
  if (plan.zip64EndOffset !== null) {
    buf.writeUInt32LE(ZIP64_END_SIG, 0);
    buf.writeBigUInt64LE(BigInt(ZIP64_END_LENGTH - 12), 4);
    buf.writeUInt16LE(MADE_BY, 12);
    buf.writeUInt16LE(45, 14);
    // Number of this disk and of the disk with the central directory: zero.
    buf.writeBigUInt64LE(BigInt(count), 24);
    buf.writeBigUInt64LE(BigInt(count), 32);
    buf.writeBigUInt64LE(BigInt(plan.centralDirectorySize), 40);
    buf.writeBigUInt64LE(BigInt(plan.centralDirectoryOffset), 48);
    buf.writeUInt32LE(ZIP64_LOCATOR_SIG, ZIP64_END_LENGTH);
    buf.writeBigUInt64LE(BigInt(plan.zip64EndOffset), ZIP64_END_LENGTH + 8);
    buf.writeUInt32LE(1, ZIP64_END_LENGTH + 16);
  }
  const at = plan.endOffset - start;
  buf.writeUInt32LE(END_SIG, at);
  const count16 = always || count >= U16 ? U16 : count;
  buf.writeUInt16LE(count16, at + 8);
  buf.writeUInt16LE(count16, at + 10);
  buf.writeUInt32LE(always || plan.centralDirectorySize >= U32 ? U32 : plan.centralDirectorySize, at + 12);
  buf.writeUInt32LE(always || plan.centralDirectoryOffset >= U32 ? U32 : plan.centralDirectoryOffset, at + 16);
  return buf;
}
