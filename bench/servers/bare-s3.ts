/**
 * Baseline S3 client: the AWS SDK v3 with the S3 driver's client settings
 * (libs/storage/src/drivers/s3.driver.ts: keep-alive agent, checksums only where required) and
 * nothing else. Arguments: endpoint, bucket, part size, queue size. Prints `{"ready":true}`, then
 * answers one JSON line per command read from stdin:
 *   {"op":"upload","key":K,"file":F}   lib-storage `Upload` of fs.createReadStream(F) (1 MiB reads)
 *   {"op":"download","key":K,"size":N} one plain GetObject, its body piped to /dev/null
 * with `{"bytes":N,"seconds":S,"firstByte":S}` (first byte: GetObject's headers), or `{"error":"..."}`.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { S3_TEST_CREDENTIALS } from '@mft/testing';

const [endpoint, bucket, partText, queueText] = process.argv.slice(2);
if (!endpoint || !bucket || !partText || !queueText) {
  process.stderr.write('usage: bare-s3 <endpoint> <bucket> <part size> <queue size>\n');
  process.exit(2);
}
const partSize = Number(partText);
const queueSize = Number(queueText);
const MiB = 1024 * 1024;

const client = new S3Client({
  region: 'us-east-1',
  endpoint,
  forcePathStyle: true,
  // A copy: the SDK mutates the object it is given.
  credentials: { ...S3_TEST_CREDENTIALS },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  maxAttempts: 3,
  requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 50 }), connectionTimeout: 10_000, socketTimeout: 60_000 },
});

interface Command {
  readonly op: 'upload' | 'download';
  readonly key: string;
  readonly file?: string;
  readonly size?: number;
}

async function upload(key: string, file: string): Promise<object> {
  const size = statSync(file).size;
  const t0 = performance.now();
  const body = createReadStream(file, { highWaterMark: MiB });
  const up = new Upload({ client, params: { Bucket: bucket, Key: key, Body: body }, partSize, queueSize, leavePartsOnError: false });
  await up.done();
  return { bytes: size, seconds: (performance.now() - t0) / 1000 };
}

async function download(key: string, size: number): Promise<object> {
  const t0 = performance.now();
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const firstByte = (performance.now() - t0) / 1000;
  const body = res.Body as Readable;
  let bytes = 0;
  body.on('data', (c: Buffer) => (bytes += c.length));
  await pipeline(body, createWriteStream('/dev/null'));
  if (bytes !== size) {
    throw new Error(`GetObject ${key}: ${bytes} bytes, expected ${size}`);
  }
  return { bytes, seconds: (performance.now() - t0) / 1000, firstByte };
}

process.on('SIGTERM', () => process.exit(0));
const input = createInterface({ input: process.stdin });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of input) {
  let answer: object;
  try {
    const c = JSON.parse(line) as Command;
    answer = c.op === 'upload' ? await upload(c.key, c.file!) : await download(c.key, c.size!);
  } catch (err) {
    answer = { error: err instanceof Error ? err.message : String(err) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
