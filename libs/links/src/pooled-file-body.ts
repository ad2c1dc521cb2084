import { Readable } from 'node:stream';
import type { PositionedReader } from '@mft/storage';

/** Bytes per read and per chunk: 1 MiB reads measured best for parallel downloads (DESIGN performance notes). */
const CHUNK = 1024 * 1024;
/** Buffers a body cycles: one being read, one waiting in the stream, one or two being written to the client. */
const POOL = 4;

/**
 * The bytes `[start, endExclusive)` of an opened file as a stream that cycles a few buffers of its
 * own instead of allocating one per chunk. Every chunk it emits is one of them (a view of one for
 * the last, shorter chunk); a buffer is read into again only once `release(chunk)` says that the
 * consumer is done with that chunk (the download's `sent`, called once the bytes reached the
 * client). A consumer that holds chunks longer, or never releases them, gets fresh buffers when
 * the pool is out: more garbage, never different bytes.
 *
 * Why: a fresh 1 MiB buffer per chunk is memory outside the JavaScript heap that only a garbage
 * collection gives back; at GiB/s the runtime then collects every few dozen MiB, and in a process
 * with a large live heap each full collection costs tens of milliseconds of marking.
 */
export class PooledFileBody extends Readable {
  readonly #reader: PositionedReader;
  readonly #end: number;
  readonly #size: number;
  /** Pool buffers by their memory, to recognise a released chunk (or a view of one). */
  readonly #pool = new Map<ArrayBufferLike, Buffer>();
  readonly #free: Buffer[] = [];
  #position: number;
  /** The buffer a read is filling, or null when no read is under way. */
  #filling: Buffer | null = null;
  /** Set by `_destroy` while a read is under way: it closes the file once that read has called back. */
  #onIdle: (() => void) | null = null;
  readonly #done = (err: Error | null, bytesRead: number): void => this.#afterRead(err, bytesRead);

  constructor(reader: PositionedReader, start: number, endExclusive: number) {
    super({ highWaterMark: CHUNK });
    this.#reader = reader;
    this.#position = start;
    this.#end = endExclusive;
    this.#size = Math.max(1, Math.min(CHUNK, endExclusive - start));
    const buffers = Math.min(POOL, Math.ceil((endExclusive - start) / this.#size));
    for (let i = 0; i < buffers; i++) {
      const b = Buffer.allocUnsafeSlow(this.#size);
      this.#pool.set(b.buffer, b);
      this.#free.push(b);
    }
  }

  /** Gives the buffer of `chunk` back to the pool; chunks that are not the pool's are left to the garbage collector. */
  readonly release = (chunk: Buffer): void => {
    const b = this.#pool.get(chunk.buffer);
    if (b !== undefined && b !== this.#filling && !this.#free.includes(b)) {
      this.#free.push(b);
    }
  };

  override _read(): void {
    if (this.#filling !== null) {
      return;
    }
    const left = this.#end - this.#position;
    if (left <= 0) {
      this.push(null);
      return;
    }
    const b = this.#free.pop() ?? Buffer.allocUnsafeSlow(this.#size);
    this.#filling = b;
    this.#reader.read(b, Math.min(left, this.#size), this.#position, this.#done);
  }

  #afterRead(err: Error | null, bytesRead: number): void {
    const b = this.#filling!;
    this.#filling = null;
    if (this.#onIdle !== null || this.destroyed) {
      this.#onIdle?.();
      return;
    }
    if (err) {
      this.destroy(err);
      return;
    }
    if (bytesRead === 0) {
      this.destroy(new Error(`the stored copy ended ${this.#end - this.#position} bytes before its recorded size`));
      return;
    }
    this.#position += bytesRead;
    this.push(bytesRead === b.length ? b : b.subarray(0, bytesRead));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const close = (): void => {
      this.#onIdle = null;
      this.#reader.close().then(
        () => callback(error),
        (closeErr: unknown) => callback(error ?? (closeErr instanceof Error ? closeErr : new Error(String(closeErr)))),
      );
    };
    // The file is closed only once no read uses it: a closed descriptor number may be reused at once.
    if (this.#filling !== null) {
      this.#onIdle = close;
    } else {
      close();
    }
  }
}
