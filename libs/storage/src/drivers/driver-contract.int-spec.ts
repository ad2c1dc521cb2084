import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3_TEST_CREDENTIALS, SshServer, TestS3Server } from '@mft/testing';
import { describeStorageDriverContract, type DriverFixture } from './driver-contract.js';
import { LocalDriver } from './local.driver.js';
import { S3Driver } from './s3.driver.js';
import { SftpDriver } from './sftp.driver.js';

/** A local root beside a sibling whose name extends it (`root-private`). */
async function localFixture(): Promise<DriverFixture> {
  const base = mkdtempSync(join(tmpdir(), 'mft-contract-local-'));
  const root = join(base, 'root');
  mkdirSync(root);
  mkdirSync(join(base, 'root-private'));
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [relative(root, join(dir, e.name))]));
  return {
    driver: new LocalDriver(root),
    reopen: async () => new LocalDriver(root),
    rawNames: async () => files(root),
    cleanup: async () => rmSync(base, { recursive: true, force: true }),
  };
}

/** A real s3rver; the driver's prefix `tenant/root` has a sibling `tenant/root-private`. */
async function s3Fixture(): Promise<DriverFixture> {
  const server = await TestS3Server.start();
  const options = { bucket: server.bucket, prefix: 'tenant/root', region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true, ...S3_TEST_CREDENTIALS };
  const drivers = [new S3Driver(options)];
  const raw = new S3Client({ region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true, credentials: S3_TEST_CREDENTIALS });
  const prefix = 'tenant/root/';
  return {
    driver: drivers[0],
    reopen: async () => {
      drivers.push(new S3Driver(options));
      return drivers.at(-1)!;
    },
    rawNames: async () => {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const page = await raw.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix, ContinuationToken: token }));
        out.push(...(page.Contents ?? []).map((o) => o.Key!.slice(prefix.length)));
        token = page.NextContinuationToken;
      } while (token);
      const uploads = await raw.send(new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: prefix }));
      out.push(...(uploads.Uploads ?? []).map((u) => `${u.Key!.slice(prefix.length)} (unfinished upload)`));
      return out;
    },
    // s3rver stores `<name>._S3rver_object` files, so a name can be 15 bytes shorter than NAME_MAX.
    maxNameBytes: 240,
    cleanup: async () => {
      drivers.forEach((d) => d.destroy());
      raw.destroy();
      await server.close();
    },
  };
}

/** A real OpenSSH sshd; the driver's root `<dir>/root` has a sibling `<dir>/root-private`. */
async function sftpFixture(): Promise<DriverFixture> {
  const server = await SshServer.start();
  const base = mkdtempSync(join(server.dir, 'contract-'));
  const root = join(base, 'root');
  mkdirSync(root);
  mkdirSync(join(base, 'root-private'));
  const options = { host: '127.0.0.1', port: server.port, username: server.username, privateKey: server.privateKey, hostKeySha256: server.hostKeySha256, root };
  const drivers = [new SftpDriver(options)];
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [relative(root, join(dir, e.name))]));
  return {
    driver: drivers[0],
    reopen: async () => {
      drivers.push(new SftpDriver(options));
      return drivers.at(-1)!;
    },
    rawNames: async () => files(root),
    reservedKeys: ['.mft-staged.x.part', 'a/.mft-staged.y.part', '/.mft-staged.ping.1.part'],
    cleanup: async () => {
      await Promise.all(drivers.map((d) => d.close()));
      await server.close();
    },
  };
}

describeStorageDriverContract(LocalDriver.name, localFixture);
describeStorageDriverContract(SftpDriver.name, sftpFixture);
describeStorageDriverContract(S3Driver.name, s3Fixture);
