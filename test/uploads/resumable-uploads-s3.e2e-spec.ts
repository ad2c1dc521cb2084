import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import * as tus from 'tus-js-client';
import { jsonHeaders, rawRequest, S3_TEST_CREDENTIALS, TestGateway, TestS3Server } from '@mft/testing';

const KiB = 1024;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('resumable uploads into S3 send storage', () => {
  let gw: TestGateway;
  let s3: TestS3Server;
  let raw: S3Client;
  let admin: string;

  before(async () => {
    [gw, s3] = await Promise.all([TestGateway.start(), TestS3Server.start()]);
    admin = await gw.token();
    raw = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { ...S3_TEST_CREDENTIALS } });
    const made = await fetch(`${gw.baseUrl}/api/v1/connections`, {
      method: 'POST',
      headers: jsonHeaders(admin),
      body: JSON.stringify({
        name: 'Object store',
        kind: 's3',
        settings: { bucket: s3.bucket, prefix: 'tenant', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, allowLoopback: true },
        secrets: { accessKeyId: S3_TEST_CREDENTIALS.accessKeyId, secretAccessKey: S3_TEST_CREDENTIALS.secretAccessKey },
      }),
    });
    const connection = (await made.json()) as { id: string };
    assert.equal(made.status, 201, JSON.stringify(connection));
    const chosen = await fetch(`${gw.baseUrl}/api/v1/settings/send-storage`, { method: 'PUT', headers: jsonHeaders(admin), body: JSON.stringify({ connectionId: connection.id }) });
    assert.equal(chosen.status, 200);
  });
  after(async () => {
    raw?.destroy();
    await gw?.stop();
    await s3?.close();
  });

  it('tus-js-client uploads in several PATCHes; the link serves the exact bytes; no segment or staged part is left', { timeout: 60_000 }, async () => {
    const content = randomBytes(900 * KiB + 7);
    const url = await new Promise<string>((resolve, reject) => {
      const upload = new tus.Upload(content, {
        endpoint: `${gw.baseUrl}/api/v1/uploads`,
        chunkSize: 300 * KiB,
        retryDelays: null,
        headers: { authorization: `Bearer ${admin}` },
        metadata: { filename: 'to-s3.bin' },
        storeFingerprintForResuming: false,
        onError: reject,
        onSuccess: () => resolve(upload.url!),
      });
      upload.start();
    });
    const segments = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `tenant/uploads/${url.split('/').pop()}/` }));
    assert.equal(segments.KeyCount, 4, 'one object per PATCH (three of 300 KiB and the last 7 bytes)');
    const made = await fetch(`${gw.baseUrl}/api/v1/links`, { method: 'POST', headers: jsonHeaders(admin), body: JSON.stringify({ kind: 'send', uploads: [url.split('/').pop()] }) });
    const link = (await made.json()) as { id: string; grants: Array<{ url: string }> };
    assert.equal(made.status, 201, JSON.stringify(link));
    const view = (await (await fetch(`${gw.baseUrl}/api/v1/links/${link.id}`, { headers: jsonHeaders(admin) })).json()) as { files: Array<{ id: string; sha256: string; size: number }> };
    assert.deepEqual({ size: view.files[0]!.size, sha256: view.files[0]!.sha256 }, { size: content.length, sha256: sha256(content) });
    const page = (await (await fetch(link.grants[0]!.url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
    const got = await rawRequest(`${link.grants[0]!.url}/files/${page.files[0]!.id}`);
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(content), 'the exact bytes');
    const left = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'tenant/uploads/' }));
    assert.equal(left.KeyCount ?? 0, 0, 'the segments were removed');
    const staged = await raw.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: 'tenant/' }));
    assert.equal(staged.Uploads?.length ?? 0, 0, 'no staged multipart upload is left');
  });

  it('an upload sent in one PATCH becomes the link\'s object by CopyObject inside the bucket; the link serves the exact bytes with their SHA-256', { timeout: 60_000 }, async () => {
    const content = randomBytes(700 * KiB + 11);
    const url = await new Promise<string>((resolve, reject) => {
      const upload = new tus.Upload(content, {
        endpoint: `${gw.baseUrl}/api/v1/uploads`,
        retryDelays: null,
        headers: { authorization: `Bearer ${admin}` },
        metadata: { filename: 'one-piece.bin' },
        storeFingerprintForResuming: false,
        onError: reject,
        onSuccess: () => resolve(upload.url!),
      });
      upload.start();
    });
    const id = url.split('/').pop()!;
    const segments = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `tenant/uploads/${id}/` }));
    assert.equal(segments.KeyCount, 1, 'one object for one PATCH');
    const made = await fetch(`${gw.baseUrl}/api/v1/links`, { method: 'POST', headers: jsonHeaders(admin), body: JSON.stringify({ kind: 'send', uploads: [id] }) });
    const link = (await made.json()) as { id: string; grants: Array<{ url: string }> };
    assert.equal(made.status, 201, JSON.stringify(link));
    const view = (await (await fetch(`${gw.baseUrl}/api/v1/links/${link.id}`, { headers: jsonHeaders(admin) })).json()) as { files: Array<{ id: string; sha256: string; size: number }> };
    assert.deepEqual({ size: view.files[0]!.size, sha256: view.files[0]!.sha256 }, { size: content.length, sha256: sha256(content) });
    const stored = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `tenant/send/${link.id}/` }));
    assert.deepEqual(stored.Contents?.map((o) => [o.Key, o.Size]), [[`tenant/send/${link.id}/${view.files[0]!.id}`, content.length]]);
    const page = (await (await fetch(link.grants[0]!.url, { headers: { accept: 'application/json' } })).json()) as { files: Array<{ id: string }> };
    const got = await rawRequest(`${link.grants[0]!.url}/files/${page.files[0]!.id}`);
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(content), 'the exact bytes');
    const left = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'tenant/uploads/' }));
    assert.equal(left.KeyCount ?? 0, 0, 'the segment was removed');
  });
});
