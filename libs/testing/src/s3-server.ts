import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { freePort } from './gateway-process.js';

/** The part of s3rver's API the harness uses (the package ships no types). */
interface S3rverApp {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  configureBuckets(): Promise<unknown>;
  store: {
    getMetadata(bucket: string, key: string): Promise<{ etag: string; 'last-modified': string; 'content-length': number }>;
    existsObject(bucket: string, key: string): Promise<boolean>;
    copyObject(srcBucket: string, srcKey: string, destBucket: string, destKey: string, replace: null): Promise<{ etag: string; 'last-modified': string }>;
    listObjects(bucket: string, options: { prefix?: string }): Promise<{ objects: Array<{ key: string; size: number; lastModifiedDate: Date; metadata: { etag: string } }> }>;
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<StoredObject | null>;
  };
}
interface StoredObject {
  content: Readable | null;
  range?: { start: number; end: number };
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverApp;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;

/** s3rver's fixed credentials: it checks request signatures against these. */
export const S3_TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * A real S3 API server for tests: s3rver on 127.0.0.1 with an ephemeral port, its own temporary
 * directory and one bucket. s3rver 3.7 lacks a few calls the S3 driver relies on, or gets them
 * wrong; the harness answers those itself in front of s3rver, from s3rver's own store, so that the
 * driver talks to one consistent S3 API over HTTP:
 * - ListObjectsV2 (s3rver orders keys by its directory walk, does not count common prefixes
 *   against `max-keys` and repeats them on every page): answered in UTF-8 byte order, as S3 does;
 * - ListMultipartUploads and AbortMultipartUpload (not implemented);
 * - CopyObject (s3rver decodes `x-amz-copy-source` with `decodeURI`, which leaves `%3A` and the
 *   like encoded);
 * - `If-Match` on GetObject and HeadObject (ignored; S3 answers 412 Precondition Failed);
 * - `Range: bytes=0-0` (s3rver sends the whole object).
 * Everything else (signatures, PUT, multipart parts and completion, ranged GET, DELETE) is s3rver's.
 */
export class TestS3Server {
  #server: Server | null = null;

  private constructor(
    readonly port: number,
    readonly bucket: string,
    /** s3rver's data directory: `<directory>/<bucket>/<key>._S3rver_object` holds an object's stored bytes. */
    readonly directory: string,
    private readonly app: S3rverApp,
  ) {}

  /** Starts a server with the bucket `bucket` (default `test-bucket`). */
  static async start(options: { bucket?: string } = {}): Promise<TestS3Server> {
    const bucket = options.bucket ?? 'test-bucket';
    const directory = mkdtempSync(join(tmpdir(), 'mft-s3rver-'));
    const app = new S3rver({ silent: true, directory, vhostBuckets: false, configureBuckets: [{ name: bucket }] });
    await app.configureBuckets();
    fixRangeZeroZero(app);
    const server = new TestS3Server(await freePort(), bucket, directory, app);
    await server.listen();
    return server;
  }

  /** `http://127.0.0.1:<port>`, for `S3DriverOptions.endpoint` (with `forcePathStyle`). */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Where s3rver keeps the bytes of `key`, to compare what was stored with what was sent. */
  objectFile(key: string): string {
    return this.app.store.getResourcePath(this.bucket, key, 'object');
  }

  /** Listens again on the same port after `stop` (a server coming back). */
  async listen(): Promise<void> {
    if (this.#server) {
      return;
    }
    const handler = this.app.callback();
    const server = createServer((req, res) => {
      this.handle(req, res).then(
        (handled) => {
          if (!handled) {
            handler(req, res);
          }
        },
        (err: unknown) => sendError(res, 500, 'InternalError', err instanceof Error ? err.message : String(err)),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
  }

  /** Stops answering at once: open connections (a download in flight) are cut, as when a server dies. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
  }

  /** Stops and removes the data directory. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.directory, { recursive: true, force: true });
  }

  /** Answers the calls s3rver lacks or gets wrong; false hands the request to s3rver. */
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, bucketRaw, ...keyParts] = url.pathname.split('/');
    if (!bucketRaw) {
      return false;
    }
    const bucket = decodeURIComponent(bucketRaw);
    const key = keyParts.map((p) => decodeURIComponent(p)).join('/');
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const intercepted =
      (method === 'GET' && !key && (q.get('list-type') === '2' || q.has('uploads'))) ||
      (method === 'DELETE' && key !== '' && q.has('uploadId')) ||
      (method === 'PUT' && key !== '' && !q.has('uploadId') && req.headers['x-amz-copy-source'] !== undefined) ||
      ((method === 'GET' || method === 'HEAD') && key !== '' && req.headers['if-match'] !== undefined);
    if (!intercepted) {
      return false;
    }
    if (!signedWith(req, S3_TEST_CREDENTIALS.accessKeyId)) {
      sendError(res, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
      return true;
    }
    if (bucket !== this.bucket) {
      sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      return true;
    }
    await drain(req);
    if (method === 'GET' && !key && q.get('list-type') === '2') {
      await this.listObjectsV2(q, res);
    } else if (method === 'GET' && !key) {
      await this.listMultipartUploads(q.get('prefix') ?? '', res);
    } else if (method === 'DELETE') {
      await rm(join(this.uploadsDir(), q.get('uploadId') ?? ''), { recursive: true, force: true });
      res.writeHead(204).end();
    } else if (method === 'PUT') {
      await this.copyObject(String(req.headers['x-amz-copy-source']), key, res);
    } else {
      return this.checkIfMatch(key, String(req.headers['if-match']), res);
    }
    return true;
  }

  private uploadsDir(): string {
    return this.app.store.getResourcePath(this.bucket, undefined, 'uploads');
  }

  private async listObjectsV2(q: URLSearchParams, res: ServerResponse): Promise<void> {
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const maxKeys = Math.min(1000, Math.max(0, Number(q.get('max-keys') ?? 1000)));
    const token = q.get('continuation-token');
    let after = q.get('start-after') ?? '';
    if (token) {
      after = Buffer.from(token, 'base64url').toString('utf8');
      if (Buffer.from(after, 'utf8').toString('base64url') !== token) {
        sendError(res, 400, 'InvalidArgument', 'The continuation token provided is incorrect');
        return;
      }
    }
    const { objects } = await this.app.store.listObjects(this.bucket, { prefix });
    type Item = { key: string; object?: (typeof objects)[number] };
    const items = new Map<string, Item>();
    for (const o of objects) {
      if (!o.key.startsWith(prefix)) {
        continue;
      }
      const idx = delimiter ? o.key.indexOf(delimiter, prefix.length) : -1;
      if (idx >= 0) {
        const p = o.key.slice(0, idx + delimiter.length);
        items.set(p, { key: p });
      } else {
        items.set(o.key, { key: o.key, object: o });
      }
    }
    const afterBytes = Buffer.from(after, 'utf8');
    const sorted = [...items.values()]
      .map((i) => ({ ...i, b: Buffer.from(i.key, 'utf8') }))
      .sort((x, y) => Buffer.compare(x.b, y.b))
      .filter((i) => Buffer.compare(i.b, afterBytes) > 0);
    const page = sorted.slice(0, maxKeys);
    const truncated = sorted.length > page.length;
    const last = page.at(-1);
    const body = [
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`,
      `<Name>${xml(this.bucket)}</Name><Prefix>${xml(prefix)}</Prefix>`,
      delimiter ? `<Delimiter>${xml(delimiter)}</Delimiter>` : '',
      `<MaxKeys>${maxKeys}</MaxKeys><KeyCount>${page.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>`,
      token ? `<ContinuationToken>${xml(token)}</ContinuationToken>` : '',
      truncated && last ? `<NextContinuationToken>${Buffer.from(last.key, 'utf8').toString('base64url')}</NextContinuationToken>` : '',
      ...page
        .filter((i) => i.object)
        .map(
          (i) =>
            `<Contents><Key>${xml(i.key)}</Key><LastModified>${i.object!.lastModifiedDate.toISOString()}</LastModified>` +
            `<ETag>${xml(i.object!.metadata.etag)}</ETag><Size>${i.object!.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
        ),
      ...page.filter((i) => !i.object).map((i) => `<CommonPrefixes><Prefix>${xml(i.key)}</Prefix></CommonPrefixes>`),
      `</ListBucketResult>`,
    ].join('');
    sendXml(res, 200, body);
  }

  private async listMultipartUploads(prefix: string, res: ServerResponse): Promise<void> {
    const dir = this.uploadsDir();
    const ids = await readdir(dir).catch(() => [] as string[]);
    const uploads: string[] = [];
    for (const id of ids.sort()) {
      const key = await readFile(join(dir, id, 'key'), 'utf8').catch(() => null);
      if (key !== null && key.startsWith(prefix)) {
        const initiated = (await stat(join(dir, id))).mtime.toISOString();
        uploads.push(`<Upload><Key>${xml(key)}</Key><UploadId>${xml(id)}</UploadId><Initiated>${initiated}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`);
      }
    }
    sendXml(
      res,
      200,
      `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xml(this.bucket)}</Bucket>` +
        `<Prefix>${xml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`,
    );
  }

  private async copyObject(source: string, destKey: string, res: ServerResponse): Promise<void> {
    const decoded = decodeURIComponent(source.split('?')[0]).replace(/^\//, '');
    const slash = decoded.indexOf('/');
    const srcBucket = decoded.slice(0, slash);
    const srcKey = decoded.slice(slash + 1);
    if (srcBucket !== this.bucket || !(await this.app.store.existsObject(srcBucket, srcKey))) {
      sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      return;
    }
    const meta = await this.app.store.copyObject(srcBucket, srcKey, this.bucket, destKey, null);
    sendXml(
      res,
      200,
      `<CopyObjectResult><LastModified>${new Date(meta['last-modified']).toISOString()}</LastModified><ETag>${xml(meta.etag)}</ETag></CopyObjectResult>`,
    );
  }

  /** 412 when the object is not at the version named by `If-Match`; otherwise s3rver answers. */
  private async checkIfMatch(key: string, ifMatch: string, res: ServerResponse): Promise<boolean> {
    if (!(await this.app.store.existsObject(this.bucket, key))) {
      return false;
    }
    const { etag } = await this.app.store.getMetadata(this.bucket, key);
    if (ifMatch === '*' || ifMatch.split(',').some((t) => t.trim() === etag)) {
      return false;
    }
    sendError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    return true;
  }
}

/** s3rver reads `Range: bytes=0-0` as the whole object (`end || Infinity`): serve the one byte. */
function fixRangeZeroZero(app: S3rverApp): void {
  const store = app.store;
  const getObject = store.getObject.bind(store);
  store.getObject = async (bucket, key, options) => {
    const object = await getObject(bucket, key, options);
    if (object?.content && options?.end === 0 && (options.start ?? 0) === 0) {
      object.content.destroy();
      object.content = createReadStream(store.getResourcePath(bucket, key, 'object'), { start: 0, end: 0 });
      object.range = { start: 0, end: 0 };
    }
    return object;
  };
}

/** Whether the request is signed (SigV4) with this access key; the signature itself s3rver checks on the calls it answers. */
function signedWith(req: IncomingMessage, accessKeyId: string): boolean {
  const auth = req.headers.authorization ?? '';
  return auth.includes(`Credential=${accessKeyId}/`);
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) {
    // the intercepted calls have no body the harness needs
  }
}

function xml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(text) }).end(text);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendXml(res, status, `<Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`);
}
