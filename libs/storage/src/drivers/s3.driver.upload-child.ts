/**
 * Uploads a generated file through `S3Driver` and reports its memory: run as a child process by
 * s3.driver.int-spec.ts, so that the peak RSS measured is the uploader's own. Settings come as
 * JSON in argv[2]; the report is one JSON line on stdout.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { S3Driver, type S3DriverOptions } from './s3.driver.js';

interface ChildSettings {
  readonly options: S3DriverOptions;
  readonly key: string;
  readonly size: number;
}

const MiB = 1024 * 1024;

/** `size` bytes, 1 MiB at a time, never all in memory: every 4 KiB page carries its own offset. */
export function generatedFile(size: number): Readable {
  const base = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i += 32) {
    createHash('sha256').update(String(i)).digest().copy(base, i);
  }
  let offset = 0;
  return new Readable({
    highWaterMark: MiB,
    read() {
      if (offset >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(MiB, size - offset);
      const chunk = Buffer.from(base.subarray(0, n));
      for (let p = 0; p + 8 <= n; p += 4096) {
        chunk.writeBigUInt64BE(BigInt(offset + p), p);
      }
      offset += n;
      this.push(chunk);
    },
  });
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2]) as ChildSettings;
  const driver = new S3Driver(settings.options);
  // The resident memory just before the upload (not the peak so far, which start-up may have set).
  const baselineRss = process.memoryUsage().rss;
  const hash = createHash('sha256');
  const started = Date.now();
  const w = await driver.beginWrite(settings.key, 'rss-upload', { sizeHint: settings.size });
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(generatedFile(settings.size), hashing, w.stream);
  await w.commit();
  const report = {
    sha256: hash.digest('hex'),
    baselineRss,
    peakRss: process.resourceUsage().maxRSS * 1024,
    seconds: (Date.now() - started) / 1000,
  };
  driver.destroy();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}${(err as { operatorDetail?: string }).operatorDetail ?? ""}\n`);
    process.exit(1);
  });
}
