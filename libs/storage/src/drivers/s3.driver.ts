import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { LookupFunction } from 'node:net';
import { PassThrough, Writable, type Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type CompletedPart,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { InvalidInputError } from '@mft/core';
import { StoragePath, toStoragePath, type StorageKey } from '../storage-path.js';
import {
  StorageChangedError,
  StorageError,
  StorageNotFoundError,
  StoragePermissionError,
  StorageUnavailableError,
  type BeginWriteOptions,
  type ByteRange,
  type OpenReadOptions,
  type StagedWrite,
  type StorageCapabilities,
  type StorageDriver,
  type StorageEntry,
  type StorageListOptions,
  type StorageListPage,
  type StoredObjectInfo,
} from '../storage-driver.js';
import { keyBelowRoot } from './keys.js';
import { listLimit } from './listing.js';

const MiB = 1024 * 1024;
/** S3's smallest part (all but the last) and its largest part count. */
export const S3_MIN_PART_SIZE = 5 * MiB;
export const S3_MAX_PARTS = 10_000;
const DEFAULT_PART_SIZE = 8 * MiB;
const DEFAULT_QUEUE_SIZE = 4;
/** The largest object one CopyObject may copy (larger ones need UploadPartCopy). */
const MAX_COPY_OBJECT_BYTES = 5 * 1024 * MiB;
/**
 * The driver's own folder under the connection's prefix, never a key: the ping probe, and the
 * staging objects of writes begun before staged writes became multipart uploads on the key.
 */
const STAGING = '.staging';
/** A folder has no object of its own in S3, so it has no modification time; this stands in for its version. */
const FOLDER_VERSION = 'folder';

/** How to reach one bucket (the `s3` kind of storage connection). */
export interface S3DriverOptions {
  readonly bucket: string;
  /** A folder inside the bucket that is this driver's root (`a/b`, joined with `/`); absent or '' for the whole bucket. */
  readonly prefix?: string;
  readonly region: string;
  /** An S3-compatible endpoint (`https://minio.example:9000`); AWS when absent. */
  readonly endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible stores need. */
  readonly forcePathStyle?: boolean;
  /** Server-side encryption asked for on every write. */
  readonly serverSideEncryption?: 'AES256' | 'aws:kms' | 'aws:kms:dsse' | 'aws:fsx';
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /**
   * Resolves host names for every connection the driver opens, so that an address guard can refuse
   * what a name resolves to (link-local, metadata, loopback) at connect time, not only when saved.
   */
  readonly lookup?: LookupFunction;
  /**
   * Parts uploaded at once. One upload holds at most `queueSize + 1` part buffers (those in flight
   * and the one being filled), reused from part to part; the int-spec measures it. Default 4.
   */
  readonly queueSize?: number;
  /** Bytes per part of a multipart upload, at least 5 MiB; grown for large `sizeHint`s. Default 8 MiB. */
  readonly partSize?: number;
  /** Milliseconds a connection may stay silent before the request fails (a server gone away). Default 60 s. */
  readonly socketTimeoutMs?: number;
}

/** What scoped drivers share with the driver they came from. */
interface S3Shared {
  readonly client: S3Client;
  readonly bucket: string;
  /** The connection's root as key segments (the `prefix` option). */
  readonly root: readonly string[];
  readonly sse?: ServerSideEncryption;
  readonly queueSize: number;
  readonly partSize: number;
}

/**
 * One bucket (or a folder of one) through the AWS SDK v3. Keys are `StoragePath`s joined under
 * the prefix with `/`, so no key can leave it; folders are key prefixes ending in `/`.
 *
 * Staged writes are multipart uploads on the key itself: `beginWrite` creates one (its UploadId is
 * the write's reference), the stream uploads its parts, and `commit` completes it, which makes the
 * object appear at the key in one step; nothing is visible there before, and the bytes are written
 * once (no staging object copied into place). Abort and `discardStaged` abort the upload by its
 * UploadId, from any process; without one they abort whatever uploads are open on that exact key
 * (ListMultipartUploads). A bucket lifecycle rule `AbortIncompleteMultipartUpload` is still
 * advisable for uploads whose ids were lost.
 */
export class S3Driver implements StorageDriver {
  readonly capabilities: StorageCapabilities = {
    rangeReads: true,
    atomicCommit: true,
    listing: true,
    // CopyObject and UploadPartCopy copy inside the store; staged writes do not need them.
    serverSideCopy: true,
    resumableWrites: false,
  };

  private readonly shared: S3Shared;
  /** This driver's root as key segments: the connection root plus the scoped folders. */
  private readonly base: readonly string[];

  constructor(options: S3DriverOptions);
  constructor(options: S3Shared, base: readonly string[]);
  constructor(options: S3DriverOptions | S3Shared, base?: readonly string[]) {
    if (base !== undefined) {
      this.shared = options as S3Shared;
      this.base = base;
      return;
    }
    const o = options as S3DriverOptions;
    const root = o.prefix ? StoragePath.parse(o.prefix).segments : [];
    const partSize = Math.max(S3_MIN_PART_SIZE, o.partSize ?? DEFAULT_PART_SIZE);
    const agentOptions = { keepAlive: true, maxSockets: 50, ...(o.lookup ? { lookup: o.lookup } : {}) };
    this.shared = {
      client: new S3Client({
        region: o.region,
        ...(o.endpoint ? { endpoint: o.endpoint } : {}),
        forcePathStyle: o.forcePathStyle ?? false,
        credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
        // Since 3.729 the SDK sends bodies aws-chunked with a trailing CRC32 by default. Several
        // S3-compatible stores (s3rver among them) store that framing as the object's bytes, so
        // checksums are sent and checked only where an operation requires them; TLS and the
        // Content-MD5-free SigV4 payload signature still protect the transfer.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 3,
        requestHandler: {
          httpAgent: new HttpAgent(agentOptions),
          httpsAgent: new HttpsAgent(agentOptions),
          connectionTimeout: 10_000,
          socketTimeout: o.socketTimeoutMs ?? 60_000,
        },
      }),
      bucket: o.bucket,
      root,
      ...(o.serverSideEncryption ? { sse: o.serverSideEncryption as ServerSideEncryption } : {}),
      queueSize: Math.max(1, Math.floor(o.queueSize ?? DEFAULT_QUEUE_SIZE)),
      partSize,
    };
    this.base = root;
  }

  /** Closes the client's connections. */
  destroy(): void {
    this.shared.client.destroy();
  }

  scope(folder: StorageKey): S3Driver {
    const path = toStoragePath(folder);
    const segments = [...this.base, ...path.segments];
    if (this.isReserved(segments)) {
      throw new StoragePermissionError('path refused (reserved)');
    }
    return path.isRoot ? this : new S3Driver(this.shared, segments);
  }

  /** The part size for an object of `sizeHint` bytes: the configured one, grown so 10,000 parts hold it (whole MiB). */
  static partSizeFor(partSize: number, sizeHint?: number): number {
    const needed = sizeHint && sizeHint > 0 ? Math.ceil(sizeHint / S3_MAX_PARTS / MiB) * MiB : 0;
    return Math.max(S3_MIN_PART_SIZE, partSize, needed);
  }

  private isReserved(segments: readonly string[]): boolean {
    return segments.length > this.shared.root.length && segments[this.shared.root.length] === STAGING;
  }

  /** The object key of `key`; refuses the staging folder. */
  private keyOf(key: StorageKey): { path: StoragePath; s3Key: string } {
    const path = key instanceof StoragePath ? key : toStoragePath(key);
    const segments = [...this.base, ...path.segments];
    if (this.isReserved(segments)) {
      throw new StorageNotFoundError(String(path), 'reserved');
    }
    return { path, s3Key: segments.join('/') };
  }

  /** The key prefix of the folder `key` (`a/b/`; '' for the bucket's root). */
  private folderPrefix(segments: readonly string[]): string {
    return segments.length === 0 ? '' : `${segments.join('/')}/`;
  }

  /** Where writes begun before multipart staging kept their bytes (see `discardStaged`). */
  private legacyStagingKey(s3Key: string, stagingId: string): string {
    const name = createHash('sha256').update(`${stagingId}\0${s3Key}`).digest('hex');
    return [...this.shared.root, STAGING, name].join('/');
  }

  async beginWrite(key: StorageKey, stagingId: string, options: BeginWriteOptions = {}): Promise<StagedWrite> {
    const { path, s3Key } = this.keyOf(keyBelowRoot(key));
    const name = String(path);
    const { client, bucket, sse } = this.shared;
    const partSize = S3Driver.partSizeFor(this.shared.partSize, options.sizeHint);
    // A larger part keeps the same memory budget with fewer parts in flight (at least one).
    const queueSize = Math.max(1, Math.floor((this.shared.queueSize * this.shared.partSize) / partSize));
    // Not lib-storage's `Upload`: it always completes the multipart upload itself once the stream
    // ends (or sends a small body as one PutObject), so the bytes would be visible at the key
    // before `commit`. Here the upload stays open until `commit` completes it.
    let uploadId: string;
    try {
      const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: s3Key, ...(sse ? { ServerSideEncryption: sse } : {}) }));
      if (!created.UploadId) {
        throw new Error('CreateMultipartUpload answered no UploadId');
      }
      uploadId = created.UploadId;
    } catch (err) {
      throw classifyS3Error(err, name, 'begin write');
    }
    const parts = new PartUploader(client, bucket, s3Key, uploadId, partSize, queueSize, name);
    let state: 'writing' | 'staged' | 'committed' | 'aborted' = 'writing';
    let aborting: Promise<void> | null = null;
    const abortUpload = (): Promise<void> =>
      (aborting ??= (async () => {
        await parts.settled();
        await this.abortUpload(s3Key, uploadId, name);
      })());
    const stream = new Writable({
      highWaterMark: MiB,
      write(chunk: Buffer, _encoding, callback) {
        parts.write(chunk).then(() => callback(), (err: unknown) => callback(err as Error));
      },
      // 'finish' means every part is stored in the bucket, not merely handed to the SDK.
      final(callback) {
        parts.end().then(
          () => {
            state = 'staged';
            callback();
          },
          (err: unknown) => callback(err as Error),
        );
      },
      destroy(err, callback) {
        parts.stop();
        if (state === 'writing') {
          // A writer that fails midway may never call abort: its parts go at once.
          abortUpload().catch(() => undefined);
        }
        callback(err);
      },
    });
    return {
      stream,
      reference: uploadId,
      commit: async () => {
        if (state !== 'staged') {
          throw new StorageUnavailableError(`commit of ${JSON.stringify(name)} before its bytes were staged (${state})`, { retryable: false });
        }
        try {
          if (parts.completed.length === 0) {
            // An empty object: S3 takes one empty part, not every compatible store does; one
            // PutObject of no bytes is atomic too.
            await this.abortUpload(s3Key, uploadId, name);
            await client.send(new PutObjectCommand({ Bucket: bucket, Key: s3Key, Body: Buffer.alloc(0), ContentLength: 0, ...(sse ? { ServerSideEncryption: sse } : {}) }));
          } else {
            await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: s3Key, UploadId: uploadId, MultipartUpload: { Parts: parts.completed } }));
          }
        } catch (err) {
          throw classifyS3Error(err, name, 'commit');
        }
        state = 'committed';
      },
      abort: async () => {
        if (state === 'committed') {
          return;
        }
        state = 'aborted';
        stream.destroy();
        await abortUpload();
      },
    };
  }

  /** Aborts the multipart upload `uploadId` of `s3Key`; one that is already gone is no error. */
  private async abortUpload(s3Key: string, uploadId: string, name: string): Promise<void> {
    try {
      await this.shared.client.send(new AbortMultipartUploadCommand({ Bucket: this.shared.bucket, Key: s3Key, UploadId: uploadId }));
    } catch (err) {
      const mapped = classifyS3Error(err, name, 'discard');
      if (!(mapped instanceof StorageNotFoundError)) {
        throw mapped;
      }
    }
  }

  async discardStaged(key: StorageKey, stagingId: string, reference?: string | null): Promise<void> {
    const { path, s3Key } = this.keyOf(keyBelowRoot(key));
    const name = String(path);
    if (reference !== undefined && reference !== null) {
      await this.abortUpload(s3Key, reference, name);
      return;
    }
    // No reference (a record kept before there was one): whatever is open on this exact key, and
    // the staging object where writes kept their bytes before they were multipart uploads on the key.
    const legacy = this.legacyStagingKey(s3Key, stagingId);
    await this.abortOpenUploads(s3Key, name);
    await this.abortOpenUploads(legacy, name);
    await this.deleteRaw(legacy, name);
  }

  /** Aborts the multipart uploads still open on exactly `s3Key`. */
  private async abortOpenUploads(s3Key: string, name: string): Promise<void> {
    const { client, bucket } = this.shared;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: s3Key, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      } catch (err) {
        const mapped = classifyS3Error(err, name, 'discard');
        if (mapped instanceof StorageNotFoundError) {
          return;
        }
        throw mapped;
      }
      for (const u of page.Uploads ?? []) {
        if (u.Key === s3Key && u.UploadId) {
          await this.abortUpload(s3Key, u.UploadId, name);
        }
      }
      if (!page.IsTruncated) {
        return;
      }
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  private async deleteRaw(s3Key: string, name: string): Promise<void> {
    try {
      await this.shared.client.send(new DeleteObjectCommand({ Bucket: this.shared.bucket, Key: s3Key }));
    } catch (err) {
      const mapped = classifyS3Error(err, name, 'delete');
      if (!(mapped instanceof StorageNotFoundError)) {
        throw mapped;
      }
    }
  }

  async openRead(key: StorageKey, range?: ByteRange, options: OpenReadOptions = {}): Promise<Readable> {
    const { path, s3Key } = this.keyOf(key);
    const name = String(path);
    if (path.isRoot) {
      throw new StorageNotFoundError(name, 'not a file');
    }
    const { client, bucket } = this.shared;
    const expected = options.expectedVersion;
    let response;
    try {
      response = await client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: s3Key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
          ...(expected !== undefined ? { IfMatch: expected } : {}),
        }),
      );
    } catch (err) {
      const mapped = classifyS3Error(err, name, 'read');
      if (mapped instanceof StorageChangedError && expected !== undefined) {
        throw new StorageChangedError(name, expected, await this.currentVersion(s3Key));
      }
      throw mapped;
    }
    const source = response.Body as Readable | undefined;
    if (!source) {
      throw new StorageUnavailableError(`read ${JSON.stringify(name)}: no body`, { retryable: true });
    }
    // The ETag of the response describes the bytes being sent: a store that ignored If-Match is caught here.
    if (expected !== undefined && response.ETag !== undefined && response.ETag !== expected) {
      source.destroy();
      throw new StorageChangedError(name, expected, response.ETag);
    }
    return guardBody(source, response.ContentLength, name);
  }

  private async currentVersion(s3Key: string): Promise<string> {
    try {
      const head = await this.shared.client.send(new HeadObjectCommand({ Bucket: this.shared.bucket, Key: s3Key }));
      return head.ETag ?? 'unknown';
    } catch {
      return 'unknown';
    }
  }

  async stat(key: StorageKey): Promise<StoredObjectInfo> {
    const { path, s3Key } = this.keyOf(key);
    const name = String(path);
    const { client, bucket } = this.shared;
    if (path.isRoot && this.base.length === this.shared.root.length) {
      return { kind: 'folder', size: 0, modifiedAt: null, version: FOLDER_VERSION };
    }
    try {
      if (path.isRoot) {
        // The root of a scoped driver is a folder of its parent: it exists while keys lie below it.
        throw new StorageNotFoundError(name);
      }
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: s3Key }));
      return { kind: 'file', size: head.ContentLength ?? 0, modifiedAt: objectTime(head.LastModified), version: head.ETag ?? '' };
    } catch (err) {
      const mapped = classifyS3Error(err, name, 'stat');
      if (!(mapped instanceof StorageNotFoundError)) {
        throw mapped;
      }
    }
    // No object: a folder if any key lies below it.
    try {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${s3Key}/`, MaxKeys: 1 }));
      if ((page.KeyCount ?? page.Contents?.length ?? 0) > 0) {
        return { kind: 'folder', size: 0, modifiedAt: null, version: FOLDER_VERSION };
      }
    } catch (err) {
      throw classifyS3Error(err, name, 'stat');
    }
    throw new StorageNotFoundError(name);
  }

  async list(prefix: StorageKey, options: StorageListOptions = {}): Promise<StorageListPage> {
    const limit = listLimit(options.limit);
    let token = options.cursor ? decodeCursor(options.cursor) : undefined;
    const { path } = this.keyOf(prefix);
    const name = String(path);
    const folderSegments = [...this.base, ...path.segments];
    const folder = this.folderPrefix(folderSegments);
    const atConnectionRoot = folderSegments.length === this.shared.root.length;
    const { client, bucket } = this.shared;
    const entries: StorageEntry[] = [];
    let seenAny = false;
    // Entries S3 returns but no key can reach (the staging folder, names StoragePath refuses) are
    // left out; the page is filled from the following ones, so a page is short only at the end.
    for (;;) {
      let page;
      try {
        page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: folder, Delimiter: '/', MaxKeys: limit - entries.length, ContinuationToken: token }),
        );
      } catch (err) {
        const mapped = classifyS3Error(err, name, 'list');
        if (token !== undefined && err instanceof S3ServiceException && err.$metadata.httpStatusCode === 400) {
          throw new InvalidInputError('storage_cursor_invalid', 'This listing cursor is not valid; start again from the first page.');
        }
        throw mapped;
      }
      const found: { name: string; b: Buffer; entry: StorageEntry }[] = [];
      for (const o of page.Contents ?? []) {
        const rest = (o.Key ?? '').slice(folder.length);
        seenAny = true;
        if (rest !== '' && StoragePath.isValidName(rest) && rest === rest.normalize('NFC')) {
          found.push({ name: rest, b: Buffer.from(rest), entry: { name: rest, kind: 'file', size: o.Size ?? 0, modifiedAt: objectTime(o.LastModified) } });
        }
      }
      for (const p of page.CommonPrefixes ?? []) {
        const rest = (p.Prefix ?? '').slice(folder.length, -1);
        seenAny = true;
        if (!(atConnectionRoot && rest === STAGING) && StoragePath.isValidName(rest) && rest === rest.normalize('NFC')) {
          found.push({ name: rest, b: Buffer.from(rest), entry: { name: rest, kind: 'folder', size: 0, modifiedAt: null } });
        }
      }
      // S3 merges keys and prefixes in UTF-8 byte order; the SDK hands them back in two arrays.
      found.sort((x, y) => Buffer.compare(x.b, y.b));
      entries.push(...found.map((f) => f.entry));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (token === undefined || entries.length >= limit) {
        break;
      }
    }
    if (!seenAny && !atConnectionRoot && (options.cursor === undefined || options.cursor === null)) {
      // An empty prefix is no folder at all (or a file): as on disk, listing it is "not found".
      throw new StorageNotFoundError(name, 'no such folder');
    }
    return { entries, next: token === undefined ? null : encodeCursor(token) };
  }

  /** CopyObject inside the bucket, for objects up to the 5 GiB a single copy may hold. */
  async copyWithin(from: StorageKey, to: StorageKey): Promise<boolean> {
    const source = this.keyOf(keyBelowRoot(from));
    const target = this.keyOf(keyBelowRoot(to));
    const info = await this.stat(source.path);
    if (info.kind !== 'file') {
      throw new StorageNotFoundError(String(source.path), 'not a file');
    }
    if (info.size > MAX_COPY_OBJECT_BYTES) {
      return false;
    }
    const { client, bucket, sse } = this.shared;
    try {
      await client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: target.s3Key,
          CopySource: `${bucket}/${source.s3Key.split('/').map(encodeURIComponent).join('/')}`,
          CopySourceIfMatch: info.version,
          ...(sse ? { ServerSideEncryption: sse } : {}),
        }),
      );
      return true;
    } catch (err) {
      throw classifyS3Error(err, String(target.path), 'copy');
    }
  }

  async delete(key: StorageKey): Promise<void> {
    const { path, s3Key } = this.keyOf(keyBelowRoot(key));
    await this.deleteRaw(s3Key, String(path));
  }

  /** Object stores have no folders to remove: a prefix disappears with its last object. */
  async removeEmptyFolder(prefix: StorageKey): Promise<void> {
    this.keyOf(prefix);
  }

  async ping(): Promise<void> {
    const { client, bucket, root } = this.shared;
    const probe = [...root, STAGING, '.ping'].join('/');
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: probe, Body: String(Date.now()), ...(this.shared.sse ? { ServerSideEncryption: this.shared.sse } : {}) }));
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: probe }));
    } catch (err) {
      const mapped = classifyS3Error(err, '.ping', 'ping');
      // A missing bucket is a configuration problem, not a missing file.
      throw mapped instanceof StorageNotFoundError ? new StorageUnavailableError(mapped.operatorDetail, { retryable: false }) : mapped;
    }
  }
}

/**
 * Cuts a stream into parts of `partSize` bytes and uploads them (UploadPart) with at most
 * `queueSize` in flight. Each part is one buffer that the chunks are copied into, sent as it is;
 * the buffers are reused from part to part, so an upload holds at most `queueSize + 1` of them
 * whatever its size. All parts but the last are exactly `partSize` bytes, as S3 requires.
 */
class PartUploader {
  /** The parts stored so far, in part-number order once `end` has resolved. */
  readonly completed: CompletedPart[] = [];
  readonly #free: Buffer[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #current: Buffer | null = null;
  #filled = 0;
  #nextPart = 1;
  #failure: Error | null = null;
  #stopped = false;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly uploadId: string,
    private readonly partSize: number,
    private readonly queueSize: number,
    private readonly name: string,
  ) {}

  /** Takes `chunk`; resolves when the caller may send more (fewer than `queueSize` parts in flight). */
  async write(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      this.#check();
      if (this.#current === null) {
        this.#current = this.#free.pop() ?? Buffer.allocUnsafeSlow(this.partSize);
        this.#filled = 0;
      }
      const n = chunk.copy(this.#current, this.#filled, offset);
      this.#filled += n;
      offset += n;
      if (this.#filled === this.partSize) {
        await this.#send();
      }
    }
  }

  /** Sends the last part (which may be short) and resolves once every part is stored. */
  async end(): Promise<void> {
    this.#check();
    if (this.#current !== null && this.#filled > 0) {
      await this.#send();
    }
    await this.settled();
    this.#check();
    this.completed.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
  }

  /** No part is sent after this (the write is being aborted). */
  stop(): void {
    this.#stopped = true;
  }

  /** Resolves once no part is in flight, however they ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  #check(): void {
    if (this.#failure) {
      throw this.#failure;
    }
    if (this.#stopped) {
      throw new StorageUnavailableError(`upload ${JSON.stringify(this.name)}: written after it was aborted`, { retryable: false });
    }
  }

  async #send(): Promise<void> {
    if (this.#nextPart > S3_MAX_PARTS) {
      throw new StorageUnavailableError(`upload ${JSON.stringify(this.name)}: more than ${S3_MAX_PARTS} parts of ${this.partSize} bytes (pass a sizeHint)`, {
        retryable: false,
        reason: 'the file is larger than its announced size',
      });
    }
    const buffer = this.#current!;
    const length = this.#filled;
    const partNumber = this.#nextPart++;
    this.#current = null;
    this.#filled = 0;
    const sending: Promise<void> = this.client
      .send(new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber: partNumber, Body: buffer.subarray(0, length), ContentLength: length }))
      .then(
        (r) => {
          this.completed.push({ ETag: r.ETag, PartNumber: partNumber });
        },
        (err: unknown) => {
          this.#failure ??= classifyS3Error(err, this.name, 'upload');
        },
      )
      .finally(() => {
        this.#inFlight.delete(sending);
        this.#free.push(buffer);
      });
    this.#inFlight.add(sending);
    while (this.#inFlight.size >= this.queueSize) {
      await Promise.race(this.#inFlight);
    }
    this.#check();
  }
}

/**
 * The object's bytes, with every failure of the transfer (the server going away, a connection cut,
 * fewer bytes than announced) turned into a `StorageUnavailableError` on the stream.
 */
function guardBody(source: Readable, expectedLength: number | undefined, name: string): Readable {
  const out = new PassThrough({ highWaterMark: MiB });
  let received = 0;
  let failed = false;
  const fail = (err: unknown): void => {
    if (!failed) {
      failed = true;
      out.destroy(classifyS3Error(err, name, 'read'));
    }
  };
  source.on('error', fail);
  source.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  source.on('end', () => {
    if (expectedLength !== undefined && received !== expectedLength) {
      fail(Object.assign(new Error(`short body: ${received} of ${expectedLength} bytes`), { code: 'ECONNRESET' }));
    }
  });
  source.on('aborted', () => fail(Object.assign(new Error('connection aborted'), { code: 'ECONNRESET' })));
  out.on('close', () => {
    if (!source.destroyed) {
      source.destroy();
    }
  });
  source.pipe(out, { end: false });
  source.on('end', () => {
    if (!failed) {
      out.end();
    }
  });
  return out;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * Maps an AWS SDK (or network) error to the storage taxonomy; the key, the operation and the
 * backend's own words go to the operator detail only.
 */
export function classifyS3Error(err: unknown, key: string, operation: string): StorageError {
  if (err instanceof StorageError) {
    return err;
  }
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? 'Error';
  const detail = `s3 ${operation} ${JSON.stringify(key)}: ${name}${status ? ` (HTTP ${status})` : ''}${e?.message ? `: ${e.message}` : ''}`;
  if (name === 'NoSuchBucket') {
    return new StorageUnavailableError(detail, { retryable: false });
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchUpload' || status === 404) {
    return new StorageNotFoundError(key, `${operation}: ${name}`);
  }
  if (name === 'PreconditionFailed' || status === 412) {
    return new StorageChangedError(key, 'expected', 'unknown');
  }
  if (status === 403 || status === 401 || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
    return new StoragePermissionError(detail);
  }
  if ((status !== undefined && status >= 500) || status === 429 || name === 'SlowDown' || name === 'TimeoutError' || name === 'RequestTimeout') {
    return new StorageUnavailableError(detail, { retryable: true });
  }
  if (status === undefined && (NETWORK_CODES.has(e?.code ?? '') || NETWORK_CODES.has(name) || e?.$retryable !== undefined || /socket|aborted|timed? ?out|ECONN/i.test(e?.message ?? ''))) {
    return new StorageUnavailableError(detail, { retryable: true });
  }
  return new StorageUnavailableError(detail, { retryable: false });
}

/**
 * An object's modification time. S3 always sends one (Last-Modified, LastModified); the SDK types it
 * as optional, so a store that left it out gets a fixed time, which keeps versions and archive
 * layouts stable.
 */
function objectTime(time: Date | undefined): Date {
  return time ?? new Date(0);
}

/** Cursors wrap S3's continuation token (opaque to callers, and to the driver). */
function encodeCursor(token: string): string {
  return `s3.${Buffer.from(token, 'utf8').toString('base64url')}`;
}

function decodeCursor(cursor: string): string {
  const body = cursor.startsWith('s3.') ? cursor.slice(3) : null;
  const token = body === null ? '' : Buffer.from(body, 'base64url').toString('utf8');
  if (body === null || token === '' || encodeCursor(token) !== cursor) {
    throw new InvalidInputError('storage_cursor_invalid', 'This listing cursor is not valid; start again from the first page.');
  }
  return token;
}
