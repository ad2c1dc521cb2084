import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe } from 'node:test';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { jsonHeaders, S3_TEST_CREDENTIALS, s3ConnectionBody, sftpConnectionBody, SshServer, TestGateway, TestS3Server } from '@mft/testing';
import { filesRoot } from './share-fixtures.js';

export type DriverKind = 'local' | 's3' | 'sftp';

/**
 * One storage connection of a test gateway, of one driver, and how the test changes what it holds
 * (as someone with access to the storage itself would, not through the gateway). Paths are from
 * the connection's root (`docs/a.txt`).
 */
export interface ShareDriver {
  readonly kind: DriverKind;
  /** The connection's id (`default` for local disk). */
  readonly connectionId: string;
  /** Writes each file (relative path → contents) below `folder`; an existing file gets a new version. */
  write(folder: string, files: Record<string, Buffer | string>): Promise<void>;
  remove(path: string): Promise<void>;
  /** Writes a file outside the connection's root (S3: beside its prefix in the bucket), which no share may serve. */
  writeOutside(rel: string, content: Buffer | string): Promise<void>;
  /** The folder outside the connection's root that `writeOutside` writes to, for symlinks (null: the driver has no symlinks). */
  readonly outsideRoot: string | null;
  /** Makes `path` a symlink to `target` (an absolute path on the storage's host, or one from the root with `fromRoot`). */
  symlink(target: string, path: string, opts?: { fromRoot?: boolean }): void;
}

/** The gateway and its connections, filled in before the first test runs. */
export interface DriverEnvironment {
  gw: TestGateway;
  admin: string;
  drivers: Record<DriverKind, ShareDriver>;
}

/**
 * Starts one gateway, and one s3rver and one sshd when their kinds are asked for, for the whole
 * test file (in `before`), with an S3 connection (bucket prefix `tenant`) and an SFTP connection
 * made through `POST /api/v1/connections`, as an admin would. Call at the top of a file.
 */
export function driverEnvironment(kinds: readonly DriverKind[]): DriverEnvironment {
  const env = { drivers: {} } as DriverEnvironment;
  let s3: TestS3Server | null = null;
  let sshd: SshServer | null = null;
  let raw: S3Client | null = null;
  let scratch: string | null = null;

  before(async () => {
    [env.gw, s3, sshd] = await Promise.all([
      TestGateway.start(),
      kinds.includes('s3') ? TestS3Server.start() : null,
      kinds.includes('sftp') ? SshServer.start() : null,
    ]);
    env.admin = await env.gw.token();
    const api = async (body: unknown): Promise<string> => {
      const res = await fetch(`${env.gw.baseUrl}/api/v1/connections`, { method: 'POST', headers: jsonHeaders(env.admin), body: JSON.stringify(body) });
      const json = (await res.json()) as { id: string };
      assert.equal(res.status, 201, JSON.stringify(json));
      return json.id;
    };
    if (kinds.includes('local')) {
      const root = filesRoot(env.gw);
      const outside = join(env.gw.dataDir, 'outside-root');
      mkdirSync(outside, { recursive: true });
      env.drivers.local = fsDriver('local', 'default', root, outside, () => undefined);
    }
    if (s3) {
      const bucket = s3.bucket;
      // The SDK mutates the credentials object it is given.
      const client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { ...S3_TEST_CREDENTIALS } });
      raw = client;
      const id = await api(s3ConnectionBody(s3));
      const key = (path: string): string => `tenant/${path.replace(/^\/+/, '')}`;
      env.drivers.s3 = {
        kind: 's3',
        connectionId: id,
        outsideRoot: null,
        write: async (folder, files) => {
          for (const [rel, content] of Object.entries(files)) {
            await client.send(new PutObjectCommand({ Bucket: bucket, Key: key(join(folder, rel)), Body: content }));
          }
        },
        remove: async (path) => {
          await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key(path) }));
        },
        writeOutside: async (rel, content) => {
          // `tenant-private/…` shares the prefix's first characters, not its folder.
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: `tenant-private/${rel}`, Body: content }));
        },
        symlink: () => {
          throw new Error('S3 has no symlinks');
        },
      };
    }
    if (sshd) {
      scratch = mkdtempSync(join(sshd.dir, 'root-'));
      const root = join(scratch, 'root');
      const outside = join(scratch, 'outside-root');
      mkdirSync(root);
      mkdirSync(outside);
      const id = await api(sftpConnectionBody(sshd, root));
      // Over SFTP a version is the size and the mtime (in whole seconds), so every rewrite moves the
      // mtime on by whole seconds past the one before, as an edit a second or more later would.
      let lastTouch = 0;
      env.drivers.sftp = fsDriver('sftp', id, root, outside, (file) => {
        lastTouch = Math.max(Date.now(), lastTouch) + 2_000;
        const later = new Date(lastTouch);
        utimesSync(file, later, later);
      });
    }
  });
  after(async () => {
    raw?.destroy();
    await env.gw?.stop();
    await Promise.all([s3?.close(), sshd?.close()]);
    if (scratch) {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
  return env;
}

/** A connection whose files are a folder of this machine (local disk, or the folder an sshd serves). */
function fsDriver(kind: DriverKind, connectionId: string, root: string, outsideRoot: string, touched: (file: string) => void): ShareDriver {
  const abs = (path: string): string => join(root, path.replace(/^\/+/, ''));
  return {
    kind,
    connectionId,
    outsideRoot,
    write: (folder, files) => {
      for (const [rel, content] of Object.entries(files)) {
        const file = abs(join(folder, rel));
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, content);
        touched(file);
      }
      return Promise.resolve();
    },
    remove: (path) => {
      rmSync(abs(path), { recursive: true, force: true });
      return Promise.resolve();
    },
    writeOutside: (rel, content) => {
      mkdirSync(dirname(join(outsideRoot, rel)), { recursive: true });
      writeFileSync(join(outsideRoot, rel), content);
      return Promise.resolve();
    },
    symlink: (target, path, opts = {}) => {
      symlinkSync(opts.fromRoot ? abs(target) : target, abs(path));
    },
  };
}

/**
 * Declares the same cases once per driver: `cases` is called with each driver's handle (its
 * fields are there once the environment's `before` has run, that is inside each test).
 */
export function forEachDriver(env: DriverEnvironment, kinds: readonly DriverKind[], cases: (driver: () => ShareDriver, kind: DriverKind) => void): void {
  for (const kind of kinds) {
    void describe(`on ${kind}`, () => {
      cases(() => env.drivers[kind], kind);
    });
  }
}
