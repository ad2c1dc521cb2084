import { createHash, timingSafeEqual } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { connect as netConnect, isIP, type LookupFunction, type Socket } from 'node:net';
import { posix } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { Client, type Attributes, type SFTPWrapper, type Stats } from 'ssh2';
import { DomainError, InvalidInputError } from '@mft/core';
import { StoragePath, toStoragePath, type StorageKey } from '../storage-path.js';
import {
  StorageChangedError,
  StorageError,
  StorageNotFoundError,
  StoragePermissionError,
  StorageUnavailableError,
  StorageUnsupportedError,
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
import { decodeNameCursor, encodeNameCursor, listLimit } from './listing.js';

/** How to reach one folder on a remote SFTP server (an OpenSSH `internal-sftp` or compatible). */
export interface SftpDriverOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** The absolute folder on the server that is the driver's root (`/srv/files`). */
  readonly root: string;
  /** The pinned host key as OpenSSH prints it (`SHA256:` and base64; the prefix and padding are optional). */
  readonly hostKeySha256: string;
  readonly password?: string;
  /** An OpenSSH or PEM private key. */
  readonly privateKey?: string | Buffer;
  readonly passphrase?: string;
  /**
   * Resolves `host` before every connection (IP literals included), so that an address guard can
   * refuse addresses: a `DomainError` it fails with is passed on unchanged. Default: `dns.lookup`.
   */
  readonly lookup?: LookupFunction;
  /** Connections kept and reused, each with one SFTP channel; default 4. */
  readonly poolSize?: number;
  /** How long a connection may take up to signing in; default 10 s. */
  readonly readyTimeoutMs?: number;
  /**
   * How long a request (open, read, write, stat, readdir, rename…) may wait for the server's answer;
   * past it the request fails with a retryable `StorageUnavailableError` and the connection is
   * dropped, so a server that stopped answering never holds a download or an upload forever. Default 30 s.
   */
  readonly operationTimeoutMs?: number;
}

const DEFAULT_POOL_SIZE = 4;
const DEFAULT_READY_TIMEOUT_MS = 10_000;
const DEFAULT_OPERATION_TIMEOUT_MS = 30_000;
/** A connection unused this long is closed. */
const IDLE_CLOSE_MS = 60_000;
/** One SFTP read request: OpenSSH answers at most 256 KiB, less packet overhead. */
const READ_REQUEST = 255 * 1024;
/** Read requests in flight per stream: one round trip per request would cap throughput. */
const READ_DEPTH = 8;
const WRITE_HIGH_WATER = 1024 * 1024;
/** Write requests in flight per staged write. */
const WRITE_DEPTH = 8;
/** Staged writes are files named so in the key's own folder; such names are never keys and never listed. */
const STAGED_PREFIX = '.mft-staged.';
const STAGED_NAME = /^\.mft-staged\.[0-9a-f]{40}\.part$/;

const SFTP_STATUS = { EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, BAD_MESSAGE: 5, NO_CONNECTION: 6, CONNECTION_LOST: 7, OP_UNSUPPORTED: 8 } as const;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function isReservedName(name: string): boolean {
  return name.startsWith(STAGED_PREFIX);
}

function isReserved(path: StoragePath): boolean {
  return path.segments.some(isReservedName);
}

/** The 32 bytes of a `SHA256:` fingerprint, with or without the prefix and the base64 padding. */
function fingerprintBytes(fingerprint: string): Buffer {
  const b64 = fingerprint.trim().replace(/^SHA256:/i, '').replace(/=+$/, '');
  const bytes = Buffer.from(b64, 'base64');
  if (!/^[A-Za-z0-9+/]{43}$/.test(b64) || bytes.length !== 32) {
    throw new InvalidInputError('sftp_host_key_invalid', 'The host key must be a SHA256 fingerprint as OpenSSH prints it (SHA256:...).', { field: 'hostKeySha256' });
  }
  return bytes;
}

function printFingerprint(bytes: Buffer): string {
  return `SHA256:${bytes.toString('base64').replace(/=+$/, '')}`;
}

function checkRoot(root: string): string {
  if (typeof root !== 'string' || !root.startsWith('/') || root.includes('\0') || root.split('/').some((s) => s === '..')) {
    throw new InvalidInputError('sftp_root_invalid', 'The root must be an absolute folder on the server.', { field: 'root' });
  }
  const normal = posix.normalize(root);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** Whether the server path `candidate` is `root` or below it, comparing whole segments. */
function isRemoteWithin(root: string, candidate: string): boolean {
  if (root === '/') {
    return candidate.startsWith('/');
  }
  return candidate === root || candidate.startsWith(`${root}/`);
}

function remotePathOf(root: string, path: StoragePath): string {
  return path.isRoot ? root : posix.join(root, ...path.segments);
}

/** One connection with its SFTP channel, shared by the calls that lease it. */
interface Session {
  readonly client: Client;
  readonly sftp: SFTPWrapper;
  readonly sock: Socket;
  busy: number;
  dead: boolean;
  idleTimer: NodeJS.Timeout | null;
  readonly watchdog: NodeJS.Timeout;
}

/** A session lent to one operation; `release` exactly once. */
interface Lease {
  readonly sftp: SFTPWrapper;
  release(): void;
}

/**
 * A small pool of SSH connections. A connection that closes (the server restarted, the network
 * dropped it) leaves the pool at once, so the next call makes a new one; idle connections do not
 * keep the process alive and are closed after a while.
 */
class SftpPool {
  readonly #sessions: Session[] = [];
  readonly #pending = new Set<Promise<Session>>();
  readonly #expectedKey: Buffer;
  readonly #size: number;
  readonly #timeoutMs: number;
  #closed = false;

  constructor(private readonly options: SftpDriverOptions) {
    this.#expectedKey = fingerprintBytes(options.hostKeySha256);
    this.#size = options.poolSize ?? DEFAULT_POOL_SIZE;
    if (!Number.isInteger(this.#size) || this.#size < 1 || this.#size > 64) {
      throw new InvalidInputError('sftp_pool_size_invalid', 'The pool holds 1 to 64 connections.', { field: 'poolSize' });
    }
    this.#timeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
    if (!Number.isInteger(this.#timeoutMs) || this.#timeoutMs < 100) {
      throw new InvalidInputError('sftp_operation_timeout_invalid', 'The operation timeout is a whole number of milliseconds, at least 100.', { field: 'operationTimeoutMs' });
    }
  }

  async acquire(): Promise<Lease> {
    for (;;) {
      if (this.#closed) {
        throw new StorageUnavailableError('the SFTP driver was closed', { retryable: false });
      }
      for (const s of this.#sessions.filter((x) => !x.dead && !channelOpen(x.sftp))) {
        this.#drop(s);
      }
      const live = this.#sessions.filter((s) => !s.dead);
      const least = live.reduce<Session | null>((best, s) => (best === null || s.busy < best.busy ? s : best), null);
      const room = live.length + this.#pending.size < this.#size;
      if (least && (least.busy === 0 || !room)) {
        return this.#lease(least);
      }
      if (room) {
        const connecting = this.#connect();
        this.#pending.add(connecting);
        try {
          const session = await connecting;
          return this.#lease(session);
        } finally {
          this.#pending.delete(connecting);
        }
      }
      // Every slot is a connection still being made: wait for one, then choose again.
      await Promise.race(this.#pending);
    }
  }

  #lease(session: Session): Lease {
    session.busy++;
    if (session.idleTimer) {
      clearTimeout(session.idleTimer);
      session.idleTimer = null;
    }
    session.sock.ref();
    let released = false;
    return {
      sftp: session.sftp,
      release: () => {
        if (released) {
          return;
        }
        released = true;
        session.busy--;
        if (session.busy === 0 && !session.dead) {
          session.sock.unref();
          session.idleTimer = setTimeout(() => this.#drop(session), IDLE_CLOSE_MS);
          session.idleTimer.unref();
        }
      },
    };
  }

  #drop(session: Session): void {
    session.dead = true;
    clearInterval(session.watchdog);
    if (session.idleTimer) {
      clearTimeout(session.idleTimer);
      session.idleTimer = null;
    }
    const i = this.#sessions.indexOf(session);
    if (i >= 0) {
      this.#sessions.splice(i, 1);
    }
    session.client.end();
    session.sock.destroy();
  }

  /** Ends every connection; calls after this fail. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(this.#pending);
    for (const s of [...this.#sessions]) {
      this.#drop(s);
    }
  }

  async #resolve(): Promise<{ address: string; family: number }> {
    const lookup = this.options.lookup ?? (dnsLookup as unknown as LookupFunction);
    return new Promise((resolve, reject) => {
      try {
        lookup(this.options.host, { family: 0, all: false }, (err, address: string | LookupAddress[], family?: number) => {
          if (err) {
            reject(err);
            return;
          }
          const first = Array.isArray(address) ? address[0] : { address, family: family ?? isIP(address) };
          if (!first || !isIP(first.address)) {
            reject(new Error(`no address for ${this.options.host}`));
            return;
          }
          resolve({ address: first.address, family: first.family });
        });
      } catch (err) {
        reject(err as Error);
      }
    });
  }

  async #connect(): Promise<Session> {
    let target: { address: string; family: number };
    try {
      target = await this.#resolve();
    } catch (err) {
      if (err instanceof DomainError) {
        throw err;
      }
      const code = (err as NodeJS.ErrnoException).code;
      throw new StorageUnavailableError(`cannot resolve ${this.options.host}: ${(err as Error).message}`, {
        retryable: code !== 'ENOTFOUND',
        reason: 'the server name cannot be resolved',
      });
    }
    const sock = netConnect({ host: target.address, port: this.options.port, family: target.family });
    sock.setNoDelay(true);
    sock.setKeepAlive(true, 15_000);
    const client = new Client();
    let hostKeyRefused: string | null = null;
    const where = `${this.options.username}@${this.options.host}:${this.options.port} (${target.address})`;
    return new Promise<Session>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) {
          return;
        }
        settled = true;
        client.end();
        sock.destroy();
        reject(
          hostKeyRefused !== null
            ? new StorageUnavailableError(`${where}: host key mismatch: ${hostKeyRefused}`, {
                retryable: false,
                reason: 'the server’s host key is not the pinned one',
              })
            : classifySftpError(err, '/', where),
        );
      };
      client.on('error', fail);
      client.on('close', () => fail(Object.assign(new Error('connection closed during sign-in'), { level: 'client-socket' })));
      client.once('ready', () => {
        // The SFTP channel is asked for after sign-in, so the ready timeout no longer covers it.
        const channelTimer = setTimeout(() => fail(Object.assign(new Error('no SFTP channel from the server in time'), { code: 'ETIMEDOUT' })), this.#timeoutMs);
        client.sftp((err, sftp) => {
          clearTimeout(channelTimer);
          if (err) {
            fail(err);
            return;
          }
          if (settled) {
            client.end();
            return;
          }
          settled = true;
          const watch = watchRequests(sftp, this.#timeoutMs, where, () => this.#drop(session));
          const session: Session = { client, sftp, sock, busy: 0, dead: false, idleTimer: null, watchdog: watch };
          client.removeAllListeners('error');
          client.removeAllListeners('close');
          // After sign-in an error or a close only ends this connection; calls in flight fail on their own.
          client.on('error', () => this.#drop(session));
          client.on('close', () => this.#drop(session));
          sftp.on('error', () => this.#drop(session));
          sftp.on('close', () => this.#drop(session));
          this.#sessions.push(session);
          sock.unref();
          resolve(session);
        });
      });
      client.connect({
        sock,
        username: this.options.username,
        ...(this.options.password !== undefined ? { password: this.options.password } : {}),
        ...(this.options.privateKey !== undefined ? { privateKey: this.options.privateKey } : {}),
        ...(this.options.passphrase !== undefined ? { passphrase: this.options.passphrase } : {}),
        readyTimeout: this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
        tryKeyboard: false,
        // The raw host key blob: its SHA-256 is what OpenSSH prints. Refusing here ends the
        // handshake before any authentication is sent.
        hostVerifier: (key: Buffer): boolean => {
          const received = createHash('sha256').update(key).digest();
          const ok = received.length === this.#expectedKey.length && timingSafeEqual(received, this.#expectedKey);
          if (!ok) {
            hostKeyRefused = `expected ${printFingerprint(this.#expectedKey)}, received ${printFingerprint(received)}`;
          }
          return ok;
        },
      });
    });
  }
}

interface ScopedState {
  readonly pool: SftpPool;
  readonly root: string;
  readonly outerRoots: readonly string[];
}

/**
 * Whether the SFTP channel can still carry requests. ssh2 answers the requests pending when a
 * channel closes with an error, but silently drops any sent after: they would never settle.
 */
function channelOpen(sftp: SFTPWrapper): boolean {
  // A channel that died with its connection keeps its outgoing state "open"; its incoming side says "closed".
  const channel = sftp as unknown as { incoming?: { state?: unknown }; outgoing?: { state?: unknown } };
  const out = channel.outgoing?.state;
  const inc = channel.incoming?.state;
  return (out === undefined || out === 'open') && inc !== 'closed';
}

function connectionLost(): Error {
  return Object.assign(new Error('the SFTP channel is closed'), { code: SFTP_STATUS.CONNECTION_LOST });
}

/** The requests of one SFTP channel still waiting for an answer, and since when the channel has been silent. */
interface RequestWatch {
  readonly waiting: Set<(err: Error) => void>;
  since: number;
}

const watches = new WeakMap<SFTPWrapper, RequestWatch>();

/**
 * Watches the requests sent on `sftp`: when some are waiting and the server has answered none of
 * them for `timeoutMs`, each fails with a retryable `StorageUnavailableError` and `drop` ends the
 * connection (ssh2 itself would wait forever for a server that stopped without closing the
 * connection). One timer per connection, not one per request. Returns the timer, for `clearInterval`.
 */
function watchRequests(sftp: SFTPWrapper, timeoutMs: number, where: string, drop: () => void): NodeJS.Timeout {
  const watch: RequestWatch = { waiting: new Set(), since: Date.now() };
  watches.set(sftp, watch);
  const timer = setInterval(
    () => {
      if (watch.waiting.size === 0 || Date.now() - watch.since < timeoutMs) {
        return;
      }
      const err = new StorageUnavailableError(`${where}: no answer from the SFTP server within ${timeoutMs} ms`, { reason: 'the server did not answer in time' });
      const waiting = [...watch.waiting];
      watch.waiting.clear();
      drop();
      for (const fail of waiting) {
        fail(err);
      }
    },
    Math.max(50, Math.min(1000, Math.floor(timeoutMs / 4))),
  );
  timer.unref();
  return timer;
}

/**
 * Registers a request about to be sent on `sftp`: `fail` is called if the server leaves it
 * unanswered too long (see `watchRequests`). Call the returned function when the answer comes;
 * calling it again, or after `fail`, does nothing.
 */
function expectAnswer(sftp: SFTPWrapper, fail: (err: Error) => void): () => void {
  const watch = watches.get(sftp);
  if (!watch) {
    return () => undefined;
  }
  if (watch.waiting.size === 0) {
    watch.since = Date.now();
  }
  let answered = false;
  const entry = (err: Error): void => {
    answered = true;
    fail(err);
  };
  watch.waiting.add(entry);
  return () => {
    if (!answered) {
      answered = true;
      watch.waiting.delete(entry);
      watch.since = Date.now();
    }
  };
}

/** Runs an ssh2 callback-style SFTP call on `sftp` as a promise; fails at once when the channel is closed, and when the server does not answer in time. */
function call<T>(sftp: SFTPWrapper, run: (cb: (err: Error | undefined | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (!channelOpen(sftp)) {
      reject(connectionLost());
      return;
    }
    const answered = expectAnswer(sftp, reject);
    try {
      run((err, value) => {
        answered();
        if (err) {
          reject(err);
        } else {
          resolve(value);
        }
      });
    } catch (err) {
      answered();
      reject(err as Error);
    }
  });
}

function kindOfMode(mode: number): 'file' | 'folder' | 'link' | null {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return 'file';
    case S_IFDIR:
      return 'folder';
    case S_IFLNK:
      return 'link';
    default:
      return null;
  }
}

/** The SFTP version: size and mtime (all SFTPv3 tells), hashed to an opaque string. */
function versionOf(attrs: Attributes): string {
  return `s1-${createHash('sha256').update(`${attrs.size}:${attrs.mtime}`).digest('base64url').slice(0, 22)}`;
}


/**
 * A folder on a remote SFTP server. The host key is pinned; connections are pooled and remade after
 * the server restarts. Every access resolves the real path on the server and refuses what lies
 * outside the root (symlinks included). Writes go to a hidden file in the key's folder and are
 * renamed into place on commit.
 */
export class SftpDriver implements StorageDriver {
  readonly capabilities: StorageCapabilities = {
    rangeReads: true,
    // A rename (posix-rename@openssh.com, which replaces in one step): the name never shows partial bytes.
    atomicCommit: true,
    listing: true,
    serverSideCopy: false,
    resumableWrites: false,
  };

  readonly #pool: SftpPool;
  readonly #root: string;
  /** The roots of the drivers this one was scoped from; its real root must stay inside each. */
  readonly #outerRoots: readonly string[];

  readonly #options: SftpDriverOptions;

  /** `scoped` is for `scope` only: the same pool, a folder below the root. */
  constructor(options: SftpDriverOptions, scoped?: ScopedState) {
    this.#options = options;
    this.#pool = scoped?.pool ?? new SftpPool(options);
    this.#root = scoped?.root ?? checkRoot(options.root);
    this.#outerRoots = scoped?.outerRoots ?? [];
  }

  /** Ends the pooled connections (of this driver and every scope of it). */
  async close(): Promise<void> {
    await this.#pool.close();
  }

  scope(folder: StorageKey): SftpDriver {
    const path = toStoragePath(folder);
    if (isReserved(path)) {
      throw new StoragePermissionError('path refused (reserved)');
    }
    if (path.isRoot) {
      return this;
    }
    return new SftpDriver(this.#options, { pool: this.#pool, root: remotePathOf(this.#root, path), outerRoots: [...this.#outerRoots, this.#root] });
  }

  async #with<T>(run: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const lease = await this.#pool.acquire();
    try {
      return await run(lease.sftp);
    } finally {
      lease.release();
    }
  }

  async #rootReal(sftp: SFTPWrapper, create = false): Promise<string> {
    if (create && this.#outerRoots.length > 0) {
      await this.#createScopeFolders(sftp);
    }
    const real = await call<string>(sftp, (cb) => sftp.realpath(this.#root, cb)).catch((err: unknown) => {
      throw classifySftpError(err, '/');
    });
    for (const outer of this.#outerRoots) {
      const outerReal = await call<string>(sftp, (cb) => sftp.realpath(outer, cb)).catch((err: unknown) => {
        throw classifySftpError(err, '/');
      });
      if (!isRemoteWithin(outerReal, real)) {
        throw new StorageNotFoundError('/', 'the scoped folder leaves the root it was scoped from');
      }
    }
    return real;
  }

  /** Creates the missing folders of a scope's root below the root it was scoped from (a write into a new shared folder). */
  async #createScopeFolders(sftp: SFTPWrapper): Promise<void> {
    const outer = this.#outerRoots.at(-1)!;
    const outerReal = await call<string>(sftp, (cb) => sftp.realpath(outer, cb)).catch((err: unknown) => {
      throw classifySftpError(err, '/');
    });
    const rest = this.#root.slice(outer.length).split('/').filter(Boolean);
    let at = outer;
    for (const segment of rest) {
      // Never create a folder through a symlink that leaves the root.
      const parentReal = await call<string>(sftp, (cb) => sftp.realpath(at, cb)).catch((err: unknown) => {
        throw classifySftpError(err, '/');
      });
      if (!isRemoteWithin(outerReal, parentReal)) {
        throw new StoragePermissionError('path refused (a symlink leaves the storage root)');
      }
      at = posix.join(parentReal, segment);
      if (!(await statOrNull(sftp, at, '/'))) {
        await makeFolder(sftp, at, '/');
      }
    }
  }

  /** The real path of the existing object at `key`, inside the real root once every symlink is followed. */
  async #realPathInside(sftp: SFTPWrapper, key: StorageKey): Promise<string> {
    const path = toStoragePath(key);
    const rootReal = await this.#rootReal(sftp);
    if (isReserved(path)) {
      throw new StorageNotFoundError(String(path), 'reserved');
    }
    if (path.isRoot) {
      return rootReal;
    }
    const real = await call<string>(sftp, (cb) => sftp.realpath(remotePathOf(rootReal, path), cb)).catch((err: unknown) => {
      throw classifySftpError(err, String(path));
    });
    if (!isRemoteWithin(rootReal, real)) {
      throw new StorageNotFoundError(String(path), 'resolves outside the root');
    }
    // realpath of a missing last name may answer the path itself; stat tells whether it exists.
    return real;
  }

  /**
   * The real folder that holds `key` (its missing folders created when `create`), inside the root;
   * the final name is not followed, so a write or delete acts on the entry itself. Null when the
   * folder does not exist and `create` is false.
   */
  async #realParentInside(sftp: SFTPWrapper, key: StorageKey, create: boolean): Promise<string | null> {
    const path = toStoragePath(key);
    if (path.isRoot || isReserved(path)) {
      throw new StoragePermissionError(`path refused (${path.isRoot ? 'the storage root itself' : 'reserved'})`);
    }
    const rootReal = await this.#rootReal(sftp, create);
    const parent = path.parent ?? StoragePath.root;
    let real = rootReal;
    for (const segment of parent.segments) {
      const next = posix.join(real, segment);
      let attrs = await statOrNull(sftp, next, String(path));
      if (attrs === null) {
        if (!create) {
          return null;
        }
        attrs = await makeFolder(sftp, next, String(path));
      }
      if (!attrs.isDirectory()) {
        throw new StorageNotFoundError(String(path), 'a parent is not a folder');
      }
      real = await call<string>(sftp, (cb) => sftp.realpath(next, cb)).catch((err: unknown) => {
        throw classifySftpError(err, String(path));
      });
      if (!isRemoteWithin(rootReal, real)) {
        throw new StoragePermissionError('path refused (a symlink leaves the storage root)');
      }
    }
    return real;
  }

  /** The staged file's name in the key's folder: it follows from the staging id and the key alone, and is the write's reference. */
  #stagedName(key: StorageKey, stagingId: string): string {
    const hash = createHash('sha256').update(`${stagingId}\0${toStoragePath(key).toKey()}`).digest('hex').slice(0, 40);
    return `${STAGED_PREFIX}${hash}.part`;
  }

  async beginWrite(key: StorageKey, stagingId: string, _options?: BeginWriteOptions): Promise<StagedWrite> {
    const path = keyBelowRoot(key);
    const name = String(path);
    const reference = this.#stagedName(path, stagingId);
    const lease = await this.#pool.acquire();
    let stream: SftpWriteStream;
    let staged: string;
    try {
      const dir = await this.#realParentInside(lease.sftp, path, true);
      staged = posix.join(dir!, reference);
      const handle = await call<Buffer>(lease.sftp, (cb) => lease.sftp.open(staged, 'wx', { mode: 0o600 }, cb)).catch((err: unknown) => {
        throw classifySftpError(err, name);
      });
      stream = new SftpWriteStream(lease.sftp, handle, name, () => lease.release());
    } catch (err) {
      lease.release();
      throw err;
    }
    let committed = false;
    // Settles once the handle is closed, however the stream ends (its own error listener is this one's too).
    const closed = new Promise<void>((resolve) => {
      stream.once('close', resolve);
      stream.once('error', () => undefined);
    });
    const removeStaged = (): Promise<void> => this.#with((s) => unlinkIfPresent(s, staged, name));
    return {
      stream,
      reference,
      commit: async () => {
        if (!stream.writableFinished) {
          throw new StorageUnavailableError(`${name}: commit before the staged stream finished`, { retryable: false });
        }
        await closed;
        await this.#with(async (s) => {
          const dir = await this.#realParentInside(s, path, true);
          const target = posix.join(dir!, path.name);
          await renameReplacing(s, staged, target).catch((err: unknown) => {
            throw classifySftpError(err, name);
          });
        });
        committed = true;
      },
      abort: async () => {
        if (committed) {
          return;
        }
        stream.destroy();
        await closed;
        await removeStaged();
      },
    };
  }

  async discardStaged(key: StorageKey, stagingId: string, reference?: string | null): Promise<void> {
    const path = keyBelowRoot(key);
    // A reference names a staged file in the key's folder and nothing else.
    if (reference !== undefined && reference !== null && !STAGED_NAME.test(reference)) {
      throw new StoragePermissionError('staging reference refused (not a staged file name)');
    }
    const staged = reference ?? this.#stagedName(path, stagingId);
    await this.#with(async (sftp) => {
      const dir = await this.#realParentInside(sftp, path, false).catch(absentAsNull);
      if (dir === null) {
        return;
      }
      await unlinkIfPresent(sftp, posix.join(dir, staged), String(path));
    });
  }

  async openRead(key: StorageKey, range?: ByteRange, options?: OpenReadOptions): Promise<Readable> {
    const path = toStoragePath(key);
    const name = String(path);
    const lease = await this.#pool.acquire();
    let handle: Buffer | null = null;
    try {
      const real = await this.#realPathInside(lease.sftp, path);
      handle = await call<Buffer>(lease.sftp, (cb) => lease.sftp.open(real, 'r', cb)).catch((err: unknown) => {
        throw classifySftpError(err, name);
      });
      const attrs = await call<Stats>(lease.sftp, (cb) => lease.sftp.fstat(handle!, cb)).catch((err: unknown) => {
        throw classifySftpError(err, name);
      });
      if (kindOfMode(attrs.mode) !== 'file') {
        throw new StorageNotFoundError(name, 'not a file');
      }
      // The version of what was opened, so that a replacement after the check cannot slip through.
      if (options?.expectedVersion !== undefined) {
        const current = versionOf(attrs);
        if (current !== options.expectedVersion) {
          throw new StorageChangedError(name, options.expectedVersion, current);
        }
      }
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? Infinity, attrs.size - 1);
      const opened = handle;
      handle = null;
      return new SftpReadStream(lease.sftp, opened, start, end, name, () => lease.release());
    } catch (err) {
      if (handle) {
        const h = handle;
        closeQuietly(lease.sftp, h, () => undefined);
      }
      lease.release();
      throw err;
    }
  }

  async stat(key: StorageKey): Promise<StoredObjectInfo> {
    const path = toStoragePath(key);
    return this.#with(async (sftp) => {
      const real = await this.#realPathInside(sftp, path);
      const attrs = await call<Stats>(sftp, (cb) => sftp.stat(real, cb)).catch((err: unknown) => {
        throw classifySftpError(err, String(path));
      });
      const kind = kindOfMode(attrs.mode);
      if (kind !== 'file' && kind !== 'folder') {
        throw new StorageNotFoundError(String(path), 'neither a file nor a folder');
      }
      return { kind, size: kind === 'file' ? attrs.size : 0, modifiedAt: new Date(attrs.mtime * 1000), version: versionOf(attrs) };
    });
  }

  async list(prefix: StorageKey, options: StorageListOptions = {}): Promise<StorageListPage> {
    const limit = listLimit(options.limit);
    const after = options.cursor ? decodeNameCursor(options.cursor) : null;
    const folder = toStoragePath(prefix);
    return this.#with(async (sftp) => {
      const rootReal = await this.#rootReal(sftp);
      const real = await this.#realPathInside(sftp, folder);
      const listed = await call<Array<{ filename: string; attrs: Attributes }>>(sftp, (cb) => sftp.readdir(real, cb)).catch((err: unknown) => {
        throw classifySftpError(err, String(folder));
      });
      const candidates = listed
        // Names no key could address (not NFC, refused by StoragePath, not valid UTF-8) are left out, as are staged writes.
        .filter(({ filename: n }) => !isReservedName(n) && !n.includes('\uFFFD') && n === n.normalize('NFC') && StoragePath.isValidName(n))
        .map((e) => ({ ...e, b: Buffer.from(e.filename, 'utf8') }))
        .sort((x, y) => Buffer.compare(x.b, y.b));
      const afterBytes = after === null ? null : Buffer.from(after, 'utf8');
      let i = afterBytes === null ? 0 : candidates.findIndex((c) => Buffer.compare(c.b, afterBytes) > 0);
      if (i < 0) {
        i = candidates.length;
      }
      const entries: StorageEntry[] = [];
      while (entries.length < limit && i < candidates.length) {
        const batch = candidates.slice(i, i + (limit - entries.length));
        i += batch.length;
        const described = await Promise.all(batch.map((c) => this.#describe(sftp, posix.join(real, c.filename), c.filename, c.attrs, rootReal)));
        for (const e of described) {
          if (e) {
            entries.push(e);
          }
        }
      }
      const last = entries.at(-1);
      return { entries, next: i < candidates.length && last ? encodeNameCursor(last.name) : null };
    });
  }

  /** One listing entry; null for what a key could not reach (a symlink out of the root, a device, a vanished name). */
  async #describe(sftp: SFTPWrapper, full: string, name: string, attrs: Attributes, rootReal: string): Promise<StorageEntry | null> {
    let a = attrs;
    try {
      if (kindOfMode(a.mode) === 'link') {
        const target = await call<string>(sftp, (cb) => sftp.realpath(full, cb));
        if (!isRemoteWithin(rootReal, target)) {
          return null;
        }
        a = await call<Stats>(sftp, (cb) => sftp.stat(target, cb));
      }
    } catch (err) {
      if ((err as { code?: unknown }).code === SFTP_STATUS.NO_SUCH_FILE) {
        return null;
      }
      throw classifySftpError(err, name);
    }
    const kind = kindOfMode(a.mode);
    if (kind !== 'file' && kind !== 'folder') {
      return null;
    }
    return { name, kind, size: kind === 'file' ? a.size : 0, modifiedAt: new Date(a.mtime * 1000) };
  }

  /** A hard link on the server (hardlink@openssh.com); false when the server does not offer it or refuses it for these two. */
  async copyWithin(from: StorageKey, to: StorageKey): Promise<boolean> {
    const source = toStoragePath(from);
    const target = keyBelowRoot(to);
    return this.#with(async (sftp) => {
      const real = await this.#realPathInside(sftp, source);
      const attrs = await call<Stats>(sftp, (cb) => sftp.stat(real, cb)).catch((err: unknown) => {
        throw classifySftpError(err, String(source));
      });
      if (kindOfMode(attrs.mode) !== 'file') {
        throw new StorageNotFoundError(String(source), 'not a file');
      }
      const dir = await this.#realParentInside(sftp, target, true);
      try {
        await call<void>(sftp, (cb) => sftp.ext_openssh_hardlink(real, posix.join(dir!, target.name), cb));
        return true;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        // No such extension, or a plain failure (another file system, links not allowed): the caller streams instead.
        if (/does not support/.test((err as Error).message) || code === SFTP_STATUS.FAILURE || code === SFTP_STATUS.OP_UNSUPPORTED) {
          return false;
        }
        throw classifySftpError(err, String(target));
      }
    });
  }

  async delete(key: StorageKey): Promise<void> {
    const path = toStoragePath(key);
    await this.#with(async (sftp) => {
      const dir = await this.#realParentInside(sftp, path, false).catch(absentAsNull);
      if (dir === null) {
        return;
      }
      await unlinkIfPresent(sftp, posix.join(dir, path.name), String(path));
    });
  }

  async removeEmptyFolder(prefix: StorageKey): Promise<void> {
    const path = toStoragePath(prefix);
    if (path.isRoot) {
      return;
    }
    await this.#with(async (sftp) => {
      const dir = await this.#realParentInside(sftp, path, false).catch(absentAsNull);
      if (dir === null) {
        return;
      }
      await call<void>(sftp, (cb) => sftp.rmdir(posix.join(dir, path.name), cb)).catch((err: unknown) => {
        const code = (err as { code?: unknown }).code;
        // OpenSSH answers a folder that still holds something (or a file) with a plain failure.
        if (code !== SFTP_STATUS.NO_SUCH_FILE && code !== SFTP_STATUS.FAILURE) {
          throw classifySftpError(err, String(path));
        }
      });
    });
  }

  async ping(): Promise<void> {
    await this.#with(async (sftp) => {
      const rootReal = await this.#rootReal(sftp);
      const probe = posix.join(rootReal, `${STAGED_PREFIX}ping.${process.pid}.${Date.now()}.part`);
      try {
        const handle = await call<Buffer>(sftp, (cb) => sftp.open(probe, 'w', { mode: 0o600 }, cb));
        await call<void>(sftp, (cb) => sftp.close(handle, cb));
        await call<void>(sftp, (cb) => sftp.unlink(probe, cb));
      } catch (err) {
        throw classifySftpError(err, '/');
      }
    });
  }
}

/** The attributes of `remote` (symlinks followed), or null when nothing is there; `key` names it in errors. */
async function statOrNull(sftp: SFTPWrapper, remote: string, key: string): Promise<Stats | null> {
  try {
    return await call<Stats>(sftp, (cb) => sftp.stat(remote, cb));
  } catch (err) {
    if ((err as { code?: unknown }).code === SFTP_STATUS.NO_SUCH_FILE) {
      return null;
    }
    throw classifySftpError(err, key);
  }
}

/** Makes the folder `remote` (one a concurrent write made in the meantime is as good) and answers its attributes. */
async function makeFolder(sftp: SFTPWrapper, remote: string, key: string): Promise<Stats> {
  try {
    await call<void>(sftp, (cb) => sftp.mkdir(remote, { mode: 0o755 }, cb));
  } catch (err) {
    const again = await statOrNull(sftp, remote, key).catch(() => null);
    if (!again?.isDirectory()) {
      throw classifySftpError(err, key);
    }
    return again;
  }
  const attrs = await statOrNull(sftp, remote, key);
  if (!attrs) {
    throw new StorageNotFoundError(key, 'a folder vanished as it was made');
  }
  return attrs;
}

/** Removes the file `remote`; one that is not there is no error. `key` names it in errors. */
async function unlinkIfPresent(sftp: SFTPWrapper, remote: string, key: string): Promise<void> {
  try {
    await call<void>(sftp, (cb) => sftp.unlink(remote, cb));
  } catch (err) {
    if ((err as { code?: unknown }).code !== SFTP_STATUS.NO_SUCH_FILE) {
      throw classifySftpError(err, key);
    }
  }
}

/** For deletes and discards: a folder that is not there holds nothing to remove. */
function absentAsNull(err: unknown): null {
  if (err instanceof StorageNotFoundError) {
    return null;
  }
  throw err;
}

/** Closes a remote handle, calling `done` in any case (at once when the channel is already closed). */
function closeQuietly(sftp: SFTPWrapper, handle: Buffer, done: () => void): void {
  if (!channelOpen(sftp)) {
    done();
    return;
  }
  let called = false;
  let answered = (): void => undefined;
  const once = (): void => {
    if (!called) {
      called = true;
      answered();
      done();
    }
  };
  answered = expectAnswer(sftp, once);
  try {
    sftp.close(handle, once);
  } catch {
    once();
  }
}

/** Renames `from` onto `to`, replacing it: in one step with posix-rename@openssh.com, else remove and rename. */
async function renameReplacing(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await call<void>(sftp, (cb) => sftp.ext_openssh_rename(from, to, cb));
    return;
  } catch (err) {
    if (!/does not support/.test((err as Error).message)) {
      throw err;
    }
  }
  await unlinkIfPresent(sftp, to, to);
  await call<void>(sftp, (cb) => sftp.rename(from, to, cb));
}

/**
 * The bytes `start`..`end` (inclusive) of an open remote file, with several read requests in
 * flight so that throughput is not one round trip per chunk. The handle is closed, and `onClose`
 * called, when the stream ends or is destroyed.
 */
class SftpReadStream extends Readable {
  #next: number;
  #inFlight: Array<{ offset: number; length: number; done: boolean; data: Buffer | null; err: Error | null }> = [];
  #eof = false;
  #ended = false;
  #handle: Buffer | null;

  constructor(
    private readonly sftp: SFTPWrapper,
    handle: Buffer,
    start: number,
    private readonly end: number,
    private readonly key: string,
    private readonly onClose: () => void,
  ) {
    super({ highWaterMark: READ_REQUEST * READ_DEPTH });
    this.#handle = handle;
    this.#next = start;
  }

  override _read(): void {
    this.#fill();
    this.#drain();
  }

  #fill(): void {
    while (!this.#eof && this.#inFlight.length < READ_DEPTH && this.#next <= this.end && this.#handle) {
      const length = Math.min(READ_REQUEST, this.end - this.#next + 1);
      this.#request(this.#next, length, this.#inFlight.length);
      this.#next += length;
    }
  }

  #request(offset: number, length: number, at: number): void {
    const req = { offset, length, done: false, data: null as Buffer | null, err: null as Error | null };
    this.#inFlight.splice(at, 0, req);
    const buf = Buffer.allocUnsafe(length);
    if (!channelOpen(this.sftp)) {
      req.done = true;
      req.err = connectionLost();
      queueMicrotask(() => this.#drain());
      return;
    }
    // Assigned before the request is sent; a callback cannot come sooner.
    let answered = (): void => undefined;
    const settle = (err: Error | null | undefined, bytesRead: number): void => {
      if (req.done) {
        return;
      }
      answered();
      req.done = true;
      if (err) {
        req.err = err;
      } else {
        req.data = buf.subarray(0, bytesRead);
      }
      this.#drain();
    };
    answered = expectAnswer(this.sftp, (err) => settle(err, 0));
    this.sftp.read(this.#handle!, buf, 0, length, offset, settle);
  }

  #drain(): void {
    if (this.destroyed) {
      return;
    }
    while (this.#inFlight.length > 0 && this.#inFlight[0]!.done) {
      const head = this.#inFlight.shift()!;
      if (head.err) {
        this.destroy(classifySftpError(head.err, this.key));
        return;
      }
      const data = head.data!;
      if (data.length === 0) {
        // End of file before `end` (the file shrank): what was there has been sent.
        this.#eof = true;
        this.#inFlight = [];
        break;
      }
      if (data.length < head.length) {
        // A short read: ask for the rest of this request before anything after it.
        this.#request(head.offset + data.length, head.length - data.length, 0);
      }
      if (!this.push(data)) {
        return;
      }
    }
    if (this.#inFlight.length === 0 && (this.#eof || this.#next > this.end)) {
      if (!this.#ended) {
        this.#ended = true;
        this.push(null);
      }
      return;
    }
    this.#fill();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.#handle;
    this.#handle = null;
    this.#inFlight = [];
    if (!handle) {
      this.onClose();
      callback(err);
      return;
    }
    closeQuietly(this.sftp, handle, () => {
      this.onClose();
      callback(err);
    });
  }
}

/**
 * Writes to an open remote file with several write requests in flight; `finish` means every byte
 * was acknowledged and the handle closed. `onClose` is called once the handle is closed.
 */
class SftpWriteStream extends Writable {
  #handle: Buffer | null;
  #position = 0;
  #inFlight = 0;
  #failure: Error | null = null;
  #waiting: Array<() => void> = [];

  constructor(
    private readonly sftp: SFTPWrapper,
    handle: Buffer,
    private readonly key: string,
    private readonly onClose: () => void,
  ) {
    super({ highWaterMark: WRITE_HIGH_WATER });
    this.#handle = handle;
  }

  #settled(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) {
      w();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#failure || !this.#handle) {
      callback(this.#failure ?? new Error('write after close'));
      return;
    }
    if (!channelOpen(this.sftp)) {
      this.#failure = classifySftpError(connectionLost(), this.key);
      callback(this.#failure);
      return;
    }
    const offset = this.#position;
    this.#position += chunk.length;
    this.#inFlight++;
    let settled = false;
    let answered = (): void => undefined;
    const settle = (err: Error | null | undefined): void => {
      if (settled) {
        return;
      }
      settled = true;
      answered();
      this.#inFlight--;
      if (err && !this.#failure) {
        this.#failure = classifySftpError(err, this.key);
      }
      this.#settled();
    };
    answered = expectAnswer(this.sftp, settle);
    this.sftp.write(this.#handle, chunk, 0, chunk.length, offset, settle);
    const next = (): void => {
      if (this.#failure) {
        callback(this.#failure);
      } else if (this.#inFlight < WRITE_DEPTH) {
        callback();
      } else {
        this.#waiting.push(next);
      }
    };
    next();
  }

  override _final(callback: (error?: Error | null) => void): void {
    const done = (): void => {
      if (this.#inFlight > 0) {
        this.#waiting.push(done);
        return;
      }
      if (this.#failure || !this.#handle) {
        callback(this.#failure ?? new Error('closed before the end'));
        return;
      }
      const handle = this.#handle;
      this.#handle = null;
      if (!channelOpen(this.sftp)) {
        this.onClose();
        callback(classifySftpError(connectionLost(), this.key));
        return;
      }
      call<void>(this.sftp, (cb) => this.sftp.close(handle, cb)).then(
        () => {
          this.onClose();
          callback(null);
        },
        (err: unknown) => {
          this.onClose();
          callback(classifySftpError(err, this.key));
        },
      );
    };
    done();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.#handle;
    this.#handle = null;
    if (!handle) {
      callback(err);
      return;
    }
    closeQuietly(this.sftp, handle, () => {
      this.onClose();
      callback(err);
    });
  }
}

/** Maps an ssh2/SFTP error to the storage taxonomy; the key and the server's words go to the operator detail only. */
export function classifySftpError(err: unknown, key: string, where?: string): Error {
  if (err instanceof StorageError || err instanceof DomainError) {
    return err;
  }
  const e = err as { code?: unknown; level?: unknown; message?: unknown };
  const detail = `${where ? `${where} ` : ''}${JSON.stringify(key)}: ${typeof e?.message === 'string' ? e.message : String(err)}`;
  switch (e?.code) {
    case SFTP_STATUS.NO_SUCH_FILE:
      return new StorageNotFoundError(key, 'no such file');
    case SFTP_STATUS.PERMISSION_DENIED:
    case SFTP_STATUS.BAD_MESSAGE:
      return new StoragePermissionError(detail);
    case SFTP_STATUS.OP_UNSUPPORTED:
      return new StorageUnsupportedError(detail);
    case SFTP_STATUS.NO_CONNECTION:
    case SFTP_STATUS.CONNECTION_LOST:
      return new StorageUnavailableError(detail, { reason: 'connection lost' });
    case SFTP_STATUS.FAILURE:
    case SFTP_STATUS.EOF:
      return new StorageUnavailableError(detail, { retryable: false, reason: 'the server refused the operation' });
    default:
      break;
  }
  if (e?.level === 'client-authentication') {
    return new StorageUnavailableError(detail, { retryable: false, reason: 'the server refused the sign-in' });
  }
  if (e?.level === 'handshake' || e?.level === 'protocol') {
    return new StorageUnavailableError(detail, { retryable: false, reason: 'the secure connection could not be set up' });
  }
  // Socket errors (refused, reset, timed out), a closed channel ("No response from server"), a handshake timeout.
  return new StorageUnavailableError(detail);
}
