import { S3_TEST_CREDENTIALS } from './s3-server.js';

/** The body of `POST /api/v1/connections`. */
export interface ConnectionBody {
  readonly name: string;
  readonly kind: 'local' | 's3' | 'sftp';
  readonly settings: Record<string, unknown>;
  readonly secrets?: Record<string, string>;
}

/** The `POST /api/v1/connections` body of an S3 connection to a test S3 server (bucket `store.bucket`, keys under `prefix/`). */
export function s3ConnectionBody(store: { readonly endpoint: string; readonly bucket: string }, options: { name?: string; prefix?: string } = {}): ConnectionBody {
  return {
    name: options.name ?? 'Object store',
    kind: 's3',
    settings: { bucket: store.bucket, prefix: options.prefix ?? 'tenant', region: 'us-east-1', endpoint: store.endpoint, forcePathStyle: true, allowLoopback: true },
    secrets: { accessKeyId: S3_TEST_CREDENTIALS.accessKeyId, secretAccessKey: S3_TEST_CREDENTIALS.secretAccessKey },
  };
}

/** The `POST /api/v1/connections` body of an SFTP connection to a test sshd, rooted at `root`, with its pinned host key. */
export function sftpConnectionBody(
  sshd: { readonly port: number; readonly username: string; readonly hostKeySha256: string; readonly privateKey: string },
  root: string,
  options: { name?: string } = {},
): ConnectionBody {
  return {
    name: options.name ?? 'File server',
    kind: 'sftp',
    settings: { host: '127.0.0.1', port: sshd.port, username: sshd.username, root, hostKeySha256: sshd.hostKeySha256, allowLoopback: true },
    secrets: { privateKey: sshd.privateKey },
  };
}
