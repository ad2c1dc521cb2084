import assert from 'node:assert/strict';
import { readdirSync, statSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { Database } from '@mft/db';
import { auditEvents, jsonHeaders, listLinks, partialUpload, S3_TEST_CREDENTIALS, s3ConnectionBody, sftpConnectionBody, SshServer, stopGateway, TestGateway, TestS3Server, waitFor } from '@mft/testing';

const MiB = 1024 * 1024;
/** A product hang fails the test instead of stalling the run. */
const LIMIT = { timeout: 90_000 };

/** The `staging_ref` of every pending upload, read while the gateway is down (the embedded database has one user at a time). */
async function stagingRefs(gw: TestGateway): Promise<Array<string | null>> {
  const sql = 'SELECT staging_ref FROM pending_uploads ORDER BY seen_at';
  if (gw.databaseUrl) {
    const client = new pg.Client({ connectionString: gw.databaseUrl });
    await client.connect();
    try {
      return (await client.query<{ staging_ref: string | null }>(sql)).rows.map((r) => r.staging_ref);
    } finally {
      await client.end();
    }
  }
  const db = await Database.open({ url: null, dataDir: gw.dataDir });
  try {
    return (await db.query<{ staging_ref: string | null }>(sql)).map((r) => r.staging_ref);
  } finally {
    await db.close();
  }
}

/**
 * A gateway killed in the middle of a send upload whose copies go to S3 or to an SFTP server: the
 * pending upload's record holds the backend's name for the staged bytes (the multipart UploadId, the
 * staged file's name), and the next gateway's sweep removes them through it.
 */
describe('an upload killed mid-way on remote send storage', () => {
  let gw: TestGateway;
  let admin: string;
  let s3: TestS3Server;
  let sshd: SshServer;
  let raw: S3Client;
  let sftpRoot: string;
  const connections: Record<'s3' | 'sftp', string> = { s3: '', sftp: '' };
  const gateways: TestGateway[] = [];

  const api = async (path: string, body: unknown, method = 'POST'): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${gw.baseUrl}${path}`, { method, headers: jsonHeaders(admin), body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** The multipart uploads open under the send folder, with their stored part bytes (s3rver keeps parts as files). */
  const openUploads = async (): Promise<Array<{ uploadId: string; bytes: number }>> => {
    const page = await raw.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: 'tenant/send/' }));
    return (page.Uploads ?? []).map((u) => {
      const dir = join(s3.directory, s3.bucket, '._S3rver_uploads', u.UploadId!);
      const bytes = readdirSync(dir)
        .filter((n) => /^\d+$/.test(n))
        .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
      return { uploadId: u.UploadId!, bytes };
    });
  };
  const s3Objects = async (): Promise<string[]> =>
    ((await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'tenant/' }))).Contents ?? []).map((o) => o.Key!);
  const sftpFiles = (): Array<{ name: string; size: number }> =>
    readdirSync(sftpRoot, { recursive: true })
      .map(String)
      .map((n) => ({ name: n, st: statSync(join(sftpRoot, n)) }))
      .filter((e) => e.st.isFile())
      .map((e) => ({ name: e.name, size: e.st.size }));

  before(async () => {
    [gw, s3, sshd] = await Promise.all([TestGateway.start(), TestS3Server.start(), SshServer.start()]);
    gateways.push(gw);
    admin = await gw.token();
    raw = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { ...S3_TEST_CREDENTIALS } });
    sftpRoot = mkdtempSync(join(sshd.dir, 'root-'));
    const madeS3 = await api('/api/v1/connections', s3ConnectionBody(s3));
    assert.equal(madeS3.status, 201, JSON.stringify(madeS3.body));
    connections.s3 = madeS3.body.id as string;
    const madeSftp = await api('/api/v1/connections', sftpConnectionBody(sshd, sftpRoot));
    assert.equal(madeSftp.status, 201, JSON.stringify(madeSftp.body));
    connections.sftp = madeSftp.body.id as string;
  });
  after(async () => {
    for (const g of gateways.reverse()) {
      await stopGateway(g);
    }
    raw?.destroy();
    await Promise.all([s3?.close(), sshd?.close()]);
  });

  /** Kills the gateway mid-upload once `staged` says enough bytes are stored, and answers the records' staging refs. */
  const killMidUpload = async (kind: 's3' | 'sftp', staged: () => Promise<boolean>): Promise<Array<string | null>> => {
    const chosen = await api('/api/v1/settings/send-storage', { connectionId: connections[kind] }, 'PUT');
    assert.equal(chosen.status, 200, JSON.stringify(chosen.body));
    const upload = partialUpload(gw.baseUrl, admin, { declaredBytes: 64 * MiB, sendBytes: 24 * MiB });
    await upload.sent;
    await waitFor(async () => ((await staged()) ? true : null), { what: `the ${kind} backend to hold staged bytes`, ms: 30_000 });
    await gw.kill('SIGKILL');
    upload.close();
    return stagingRefs(gw);
  };

  /** A gateway on the same database that sweeps abandoned uploads at once. */
  const restart = async (): Promise<void> => {
    gw = await TestGateway.start({ share: gw, env: { STALE_UPLOAD_SECONDS: '1', JOBS_INTERVAL_SECONDS: '0.5' } });
    gateways.push(gw);
  };

  it('S3: the record holds the multipart UploadId, and the sweep aborts that upload; no object is left', LIMIT, async () => {
    const refs = await killMidUpload('s3', async () => (await openUploads()).some((u) => u.bytes >= 8 * MiB));
    const open = await openUploads();
    assert.equal(open.length, 1, 'the killed upload is one open multipart upload');
    assert.deepEqual(refs, [open[0]!.uploadId], 'its record names it');
    await restart();
    await waitFor(async () => ((await openUploads()).length === 0 ? true : null), { what: 'the sweep to abort the multipart upload', ms: 30_000 });
    assert.deepEqual(await s3Objects(), [], 'nothing was ever visible at a key');
    assert.deepEqual(await listLinks(gw, admin), []);
    assert.equal((await auditEvents(gw, admin, 'upload.abandoned')).length, 1);
  });

  it('SFTP: the record holds the staged file name, and the sweep removes that file', LIMIT, async () => {
    const refs = await killMidUpload('sftp', async () => sftpFiles().some((f) => f.size >= 8 * MiB));
    const staged = sftpFiles();
    assert.equal(staged.length, 1, 'the killed upload is one staged file');
    assert.match(staged[0]!.name, /^send\/[0-9a-f-]{36}\/\.mft-staged\.[0-9a-f]{40}\.part$/);
    assert.deepEqual(refs, [staged[0]!.name.split('/').at(-1)], 'its record names it');
    await restart();
    await waitFor(async () => (sftpFiles().length === 0 ? true : null), { what: 'the sweep to remove the staged file', ms: 30_000 });
    assert.deepEqual(await listLinks(gw, admin), []);
    assert.equal((await auditEvents(gw, admin, 'upload.abandoned')).length, 2, 'this one and the S3 one');
  });
});
