import type { Readable } from 'node:stream';
import { Semaphore } from '@mft/core';
import type { StorageDriver, StorageKey } from '@mft/storage';
import type { ReadHandle } from './node.js';

/** Largest read answered at once: OpenSSH asks for 32 KiB–256 KiB; SFTP v3 packets stay below 256 KiB. */
const MAX_READ = 255 * 1024;

/**
 * Positioned reads of every session in flight at once. OpenSSH's client keeps 64 reads outstanding
 * per session, so 32 sessions would queue 2,048 reads in libuv's pool; they complete far faster than
 * the event loop can encrypt and send them, and their completions then wait in the loop ahead of
 * everything else (/healthz answered in 129 ms at the median, 342 ms at p99, on two cores). The cap
 * trades bulk throughput for the other requests' latency: at 64, /healthz answered as fast as an
 * idle process (17 ms at the median) but 32 sessions moved a quarter fewer bytes; 128 is between
 * (docs/benchmarks.md, suite "ingress"). Requests beyond the cap wait their turn, in order, in memory.
 */
const DISK_READS = new Semaphore(128);

/**
 * A file of a storage connection opened for SFTP reads: positioned reads where the driver has
 * them (local disk), else one ranged stream from the offset asked for, reopened only when the
 * client jumps elsewhere (clients read in order; `reget`/`get -a` start past 0).
 */
export async function openStoredFile(driver: StorageDriver, key: StorageKey, size: number): Promise<ReadHandle> {
  if (driver.openReader) {
    const reader = await driver.openReader(key);
    return {
      size: reader.size,
      read: (length, position) =>
        position >= reader.size
          ? Promise.resolve(null)
          : DISK_READS.run(
              () =>
                new Promise<Buffer | null>((resolve, reject) => {
                  const buffer = Buffer.allocUnsafe(Math.min(length, MAX_READ, reader.size - position));
                  reader.read(buffer, buffer.length, position, (err, n) => (err ? reject(err) : resolve(n === 0 ? null : buffer.subarray(0, n))));
                }),
            ),
      close: () => reader.close(),
    };
  }
  return new SequentialReader(driver, key, size);
}

class SequentialReader implements ReadHandle {
  #stream: Readable | null = null;
  #position = 0;
  #failed: Error | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly driver: StorageDriver,
    private readonly key: StorageKey,
    readonly size: number,
  ) {}

  read(length: number, position: number): Promise<Buffer | null> {
    // One read at a time, in the order they came: each takes the bytes after the previous one's.
    const next = this.#queue.then(() => this.#read(Math.min(length, MAX_READ), position));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #read(length: number, position: number): Promise<Buffer | null> {
    if (position >= this.size) {
      return null;
    }
    if (!this.#stream || position !== this.#position || this.#failed) {
      this.#stream?.destroy();
      this.#failed = null;
      const stream = await this.driver.openRead(this.key, { start: position, end: this.size - 1 });
      stream.on('error', (err) => {
        this.#failed = err;
      });
      this.#stream = stream;
      this.#position = position;
    }
    const stream = this.#stream;
    const want = Math.min(length, this.size - position);
    const chunks: Buffer[] = [];
    let got = 0;
    while (got < want) {
      const chunk = stream.read(Math.min(want - got, stream.readableLength || want - got)) as Buffer | null;
      if (chunk) {
        chunks.push(chunk);
        got += chunk.length;
        continue;
      }
      if (this.#failed) {
        throw this.#failed;
      }
      if (stream.readableEnded) {
        break;
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stream.off('readable', done);
          stream.off('end', done);
          stream.off('error', done);
          resolve();
        };
        stream.on('readable', done);
        stream.on('end', done);
        stream.on('error', done);
      });
    }
    this.#position += got;
    return got === 0 ? null : Buffer.concat(chunks, got);
  }

  async close(): Promise<void> {
    this.#stream?.destroy();
    this.#stream = null;
  }
}
