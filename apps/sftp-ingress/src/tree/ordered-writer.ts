import type { Writable } from 'node:stream';
import { failure } from '../sftp-errors.js';

/** Bytes held for writes that arrive ahead of the current end (clients pipeline their writes). */
const MAX_AHEAD_BYTES = 32 * 1024 * 1024;

/**
 * Turns SFTP writes (offset + data, answered one by one) into one ordered stream. Clients such as
 * OpenSSH's `sftp` keep many writes in flight, in order; a write that arrives ahead of the end is
 * held until the gap is filled (up to 32 MiB), and a write behind the end (rewriting bytes already
 * sent) is refused: a drop or a staged put is written once, from the start.
 */
export class OrderedWriter {
  #end = 0;
  readonly #ahead = new Map<number, { data: Buffer; done: (err?: Error) => void }>();
  #aheadBytes = 0;
  #failed: Error | null = null;

  constructor(private readonly out: Writable) {
    out.on('error', (err) => {
      this.#failed ??= err;
    });
  }

  get bytesWritten(): number {
    return this.#end;
  }

  write(offset: number, data: Buffer): Promise<void> {
    if (this.#failed) {
      return Promise.reject(this.#failed);
    }
    if (offset === this.#end) {
      return this.#push(data).then(() => this.#drainAhead());
    }
    if (offset < this.#end) {
      return Promise.reject(failure('This file is written once, from the start to the end: a write before the current end is not supported. Upload the file again.'));
    }
    if (this.#aheadBytes + data.length > MAX_AHEAD_BYTES) {
      return Promise.reject(failure('Writes arrived too far out of order: upload the file with sequential writes.'));
    }
    return new Promise((resolve, reject) => {
      this.#aheadBytes += data.length;
      this.#ahead.set(offset, { data, done: (err) => (err ? reject(err) : resolve()) });
    });
  }

  /** Whether every write has been placed (no gap left). */
  get complete(): boolean {
    return this.#ahead.size === 0;
  }

  async #push(data: Buffer): Promise<void> {
    this.#end += data.length;
    if (!this.out.write(data)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          this.out.off('error', onError);
          resolve();
        };
        const onError = (err: Error): void => {
          this.out.off('drain', onDrain);
          reject(err);
        };
        this.out.once('drain', onDrain);
        this.out.once('error', onError);
      });
    }
  }

  async #drainAhead(): Promise<void> {
    for (let next = this.#ahead.get(this.#end); next; next = this.#ahead.get(this.#end)) {
      this.#ahead.delete(this.#end);
      this.#aheadBytes -= next.data.length;
      try {
        await this.#push(next.data);
        next.done();
      } catch (err) {
        next.done(err as Error);
        throw err;
      }
    }
  }

  /** Refuses the writes still waiting for a gap that will never be filled. */
  fail(err: Error): void {
    this.#failed ??= err;
    for (const w of this.#ahead.values()) {
      w.done(err);
    }
    this.#ahead.clear();
    this.#aheadBytes = 0;
  }
}
