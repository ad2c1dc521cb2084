const LOCAL_HEADER = 0x04034b50;
const ZIP64_MAGIC = 0xffffffff;

/** How much of one archive entry's data a byte count covers. */
export interface EntryProgress {
  readonly bytes: number;
  /** Every byte of the entry's data is within the count. */
  readonly complete: boolean;
}

/**
 * Follows a store-mode zip (as `archiver` streams it: local header, the file's bytes unchanged, a
 * data descriptor) as it is written, and finds where each entry's data lies by reading the local
 * headers themselves, so that a count of bytes that reached the client says exactly which files it
 * holds. Entries are expected in the order of `sizes`.
 */
export class ZipEntryTracker {
  readonly #sizes: readonly number[];
  readonly #dataStart: number[] = [];
  #pos = 0;
  #headerStart = 0;
  #header: Buffer[] = [];
  #headerLength = 0;
  #lost = false;

  constructor(sizes: readonly number[]) {
    this.#sizes = sizes;
  }

  /** Whether the stream did not look as expected (then entries after the last one found count as not sent). */
  get lost(): boolean {
    return this.#lost;
  }

  /** Feeds the next bytes of the archive, in order. */
  observe(chunk: Buffer): void {
    let off = 0;
    while (!this.#lost && this.#dataStart.length < this.#sizes.length) {
      const skip = this.#headerStart - (this.#pos + off);
      if (skip > 0) {
        off += skip;
      }
      if (off >= chunk.length) {
        break;
      }
      const take = chunk.subarray(off, off + 30 - this.#headerLength);
      this.#header.push(take);
      this.#headerLength += take.length;
      off += take.length;
      if (this.#headerLength < 30) {
        break;
      }
      const h = Buffer.concat(this.#header);
      this.#header = [];
      this.#headerLength = 0;
      if (h.readUInt32LE(0) !== LOCAL_HEADER) {
        this.#lost = true;
        break;
      }
      const start = this.#headerStart + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
      const size = this.#sizes[this.#dataStart.length]!;
      this.#dataStart.push(start);
      // The data descriptor: signature, CRC and two sizes of 4 bytes, or of 8 for a ZIP64 entry.
      this.#headerStart = start + size + (size > ZIP64_MAGIC ? 24 : 16);
    }
    this.#pos += chunk.length;
  }

  /** What the first `count` bytes of the archive hold of each entry. */
  progress(count: number): EntryProgress[] {
    return this.#sizes.map((size, i) => {
      const start = this.#dataStart[i];
      if (start === undefined) {
        return { bytes: 0, complete: false };
      }
      const bytes = Math.max(0, Math.min(size, count - start));
      return { bytes, complete: count >= start + size };
    });
  }
}
