import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { ConflictError } from '@mft/core';
import { centralHeader, dataDescriptor, endRecords, firstEndingAfter, localHeader, type ArchivePlan, type PlannedEntry } from './zip-layout.js';

/** An inclusive byte range of an archive. */
export interface ArchiveByteRange {
  readonly start: number;
  readonly end: number;
}

/** Where the bytes of an archive's entries come from. Both get a signal that aborts once the archive's stream is destroyed. */
export interface ArchiveSource {
  /** The bytes `range` (inclusive, in the entry's own offsets) of entry `entryIndex`. Never called for an empty entry. */
  open(entryIndex: number, range: ArchiveByteRange, signal: AbortSignal): Promise<Readable>;
  /**
   * The CRC-32 of the whole entry `entryIndex`, needed where a range holds its data descriptor or its
   * central directory header but not all of its data. Never called for an empty entry, nor for one
   * whose data the same stream read in full.
   */
  crc32(entryIndex: number, signal: AbortSignal): Promise<number>;
}

/** An entry whose bytes are not the ones planned (another size): the archive would be wrong, so its stream ends with this error. */
export class ArchiveEntryChangedError extends ConflictError {
  constructor(
    readonly entryIndex: number,
    readonly entryName: string,
    detail: string,
  ) {
    super('archive_entry_changed', `The file ${JSON.stringify(entryName)} changed while the archive was being written (${detail}). Download the archive again.`);
  }
}

interface EntryPiece<K extends 'header' | 'data' | 'descriptor' | 'central'> {
  readonly kind: K;
  readonly entry: PlannedEntry;
  readonly from: number;
  readonly to: number;
}
type DataPiece = EntryPiece<'data'>;
type Piece = EntryPiece<'header'> | DataPiece | EntryPiece<'descriptor'> | EntryPiece<'central'> | { readonly kind: 'end'; readonly from: number; readonly to: number };

/** The parts of the archive that the bytes `start` to `endExclusive` cross, in order, clipped to them (absolute offsets). */
function* piecesOf(plan: ArchivePlan, start: number, endExclusive: number): Generator<Piece> {
  const clip = (from: number, to: number): { from: number; to: number } | null => {
    const f = Math.max(from, start);
    const t = Math.min(to, endExclusive);
    return t > f ? { from: f, to: t } : null;
  };
  const entries = plan.entries;
  for (let i = firstEndingAfter(entries, start, (e) => e.end); i < entries.length && entries[i]!.headerOffset < endExclusive; i += 1) {
    const e = entries[i]!;
    const header = clip(e.headerOffset, e.dataOffset);
    if (header) {
      yield { kind: 'header', entry: e, ...header };
    }
    const data = clip(e.dataOffset, e.dataEnd);
    if (data) {
      yield { kind: 'data', entry: e, ...data };
    }
    const descriptor = clip(e.dataEnd, e.end);
    if (descriptor) {
      yield { kind: 'descriptor', entry: e, ...descriptor };
    }
  }
  if (endExclusive > plan.centralDirectoryOffset && start < plan.centralDirectoryOffset + plan.centralDirectorySize) {
    for (let i = firstEndingAfter(entries, start, (e) => e.centralOffset + e.centralLength); i < entries.length && entries[i]!.centralOffset < endExclusive; i += 1) {
      const e = entries[i]!;
      const c = clip(e.centralOffset, e.centralOffset + e.centralLength);
      if (c) {
        yield { kind: 'central', entry: e, ...c };
      }
    }
  }
  const tail = clip(plan.zip64EndOffset ?? plan.endOffset, plan.size);
  if (tail) {
    yield { kind: 'end', ...tail };
  }
}

/** Archive structure is gathered into chunks of about this size before it is pushed. */
const GATHER = 64 * 1024;

/**
 * Streams bytes of a planned archive: the structure is generated, each entry's bytes are read from
 * `source` (only the part the range holds), CRC-32s are computed while an entry is read whole and
 * asked of `source` otherwise. Backpressure reaches the source; destroying the stream destroys the
 * open source stream and aborts the signal given to `source`.
 */
class ArchiveRangeStream extends Readable {
  readonly #plan: ArchivePlan;
  readonly #source: ArchiveSource;
  readonly #pieces: Generator<Piece>;
  readonly #abort = new AbortController();
  readonly #crcs = new Map<number, number>();
  #gathered: Buffer[] = [];
  #gatheredLength = 0;
  #wake: (() => void) | null = null;
  #current: Readable | null = null;
  #pump: Promise<void> | null = null;
  /** The source stream opened before the first byte (so that a failure to open it is reported before any). */
  #first: { piece: DataPiece; stream: Readable; error: Error | null } | null = null;

  constructor(plan: ArchivePlan, start: number, endExclusive: number, source: ArchiveSource) {
    super({ highWaterMark: 256 * 1024 });
    this.#plan = plan;
    this.#source = source;
    this.#pieces = piecesOf(plan, start, endExclusive);
  }

  /** Opens the source of the first entry data the range holds, if any. */
  async prepare(start: number, endExclusive: number): Promise<void> {
    const first = [...firstData(this.#plan, start, endExclusive)][0];
    if (!first) {
      return;
    }
    const stream = await this.#open(first);
    const held = { piece: first, stream, error: null as Error | null };
    stream.on('error', (err) => {
      held.error ??= err;
    });
    this.#first = held;
  }

  override _read(): void {
    if (this.#pump === null) {
      this.#pump = this.#run();
      this.#pump.catch((err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))));
      return;
    }
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#abort.abort(error ?? new Error('the archive stream was destroyed'));
    this.#current?.destroy();
    this.#first?.stream.destroy();
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
    const done = (): void => callback(error);
    if (this.#pump === null) {
      done();
    } else {
      this.#pump.then(done, done);
    }
  }

  async #run(): Promise<void> {
    for (const piece of this.#pieces) {
      if (this.destroyed) {
        return;
      }
      switch (piece.kind) {
        case 'header':
          this.#gather(localHeader(this.#plan, piece.entry), piece.entry.headerOffset, piece);
          break;
        case 'data':
          await this.#flush();
          await this.#data(piece);
          break;
        case 'descriptor':
          this.#gather(dataDescriptor(piece.entry, await this.#crc(piece.entry)), piece.entry.dataEnd, piece);
          break;
        case 'central':
          this.#gather(centralHeader(this.#plan, piece.entry, await this.#crc(piece.entry)), piece.entry.centralOffset, piece);
          break;
        case 'end':
          this.#gather(endRecords(this.#plan), this.#plan.zip64EndOffset ?? this.#plan.endOffset, piece);
          break;
      }
      if (this.#gatheredLength >= GATHER) {
        await this.#flush();
      }
    }
    await this.#flush();
    if (!this.destroyed) {
      this.push(null);
    }
  }

  #gather(bytes: Buffer, at: number, piece: Piece): void {
    const part = bytes.subarray(piece.from - at, piece.to - at);
    this.#gathered.push(part);
    this.#gatheredLength += part.length;
  }

  async #flush(): Promise<void> {
    if (this.#gatheredLength === 0) {
      return;
    }
    const chunk = this.#gathered.length === 1 ? this.#gathered[0]! : Buffer.concat(this.#gathered, this.#gatheredLength);
    this.#gathered = [];
    this.#gatheredLength = 0;
    await this.#send(chunk);
  }

  /** Pushes a chunk; resolves once the consumer wants more (or the stream is destroyed). */
  async #send(chunk: Buffer): Promise<void> {
    if (this.destroyed || this.push(chunk)) {
      return;
    }
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }

  #open(piece: DataPiece): Promise<Readable> {
    const e = piece.entry;
    return this.#source.open(e.index, { start: piece.from - e.dataOffset, end: piece.to - e.dataOffset - 1 }, this.#abort.signal);
  }

  async #data(piece: DataPiece): Promise<void> {
    const e = piece.entry;
    let stream: Readable;
    let early: Error | null = null;
    const first = this.#first;
    if (first !== null && first.piece.entry.index === e.index && first.piece.from === piece.from) {
      stream = first.stream;
      early = first.error;
      this.#first = null;
    } else {
      stream = await this.#open(piece);
    }
    this.#current = stream;
    if (this.destroyed) {
      stream.destroy();
      return;
    }
    if (early) {
      throw early;
    }
    const expected = piece.to - piece.from;
    const whole = piece.from === e.dataOffset && piece.to === e.dataEnd;
    let crc = 0;
    let got = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        got += chunk.length;
        if (got > expected) {
          throw new ArchiveEntryChangedError(e.index, e.name, `more than the ${e.size} bytes planned`);
        }
        if (whole) {
          crc = crc32(chunk, crc);
        }
        await this.#send(chunk);
        if (this.destroyed) {
          return;
        }
      }
    } finally {
      stream.destroy();
      this.#current = null;
    }
    if (this.destroyed) {
      return;
    }
    if (got !== expected) {
      throw new ArchiveEntryChangedError(e.index, e.name, `${got} bytes where ${expected} were planned`);
    }
    if (whole) {
      this.#crcs.set(e.index, crc >>> 0);
    }
  }

  async #crc(e: PlannedEntry): Promise<number> {
    if (e.size === 0) {
      return 0;
    }
    const known = this.#crcs.get(e.index);
    if (known !== undefined) {
      return known;
    }
    const value = await this.#source.crc32(e.index, this.#abort.signal);
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) {
      throw new TypeError(`the CRC-32 of archive entry ${e.index} is not a 32-bit value: ${value}`);
    }
    this.#crcs.set(e.index, value >>> 0);
    return value >>> 0;
  }
}

function* firstData(plan: ArchivePlan, start: number, endExclusive: number): Generator<DataPiece> {
  for (const p of piecesOf(plan, start, endExclusive)) {
    if (p.kind === 'data') {
      yield p;
      return;
    }
  }
}

/**
 * The bytes `range` (inclusive; null: all of it) of the archive `plan`, as a stream whose bytes are
 * identical for every request of the same plan and range. Reads only the entry data the range holds,
 * plus the CRC-32s its descriptors and central directory need (from the stream itself when it reads
 * an entry whole, else from `source.crc32`). Opens the first entry data of the range before it
 * resolves, so that a source that cannot be read is reported before any byte; a later failure, or an
 * entry whose bytes are not of its planned size (`ArchiveEntryChangedError`), destroys the stream.
 * Throws a `RangeError` for a range outside the archive.
 */
export async function openArchiveRange(plan: ArchivePlan, range: ArchiveByteRange | null, source: ArchiveSource): Promise<Readable> {
  const start = range?.start ?? 0;
  const end = range?.end ?? plan.size - 1;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end >= plan.size) {
    throw new RangeError(`bytes ${start}-${end} are outside the archive of ${plan.size} bytes`);
  }
  const stream = new ArchiveRangeStream(plan, start, end + 1, source);
  // Until the consumer listens, a failure must not end the process.
  stream.on('error', () => undefined);
  await stream.prepare(start, end + 1);
  return stream;
}
