import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { utils } from 'ssh2';

/** The host key types the ingress serves, in order of preference. */
export const HOST_KEY_TYPES = ['ed25519', 'rsa'] as const;
export type HostKeyType = (typeof HOST_KEY_TYPES)[number];

/** One host key: its private key (OpenSSH format) for the server, and what clients see of it. */
export interface HostKey {
  readonly type: string;
  readonly privateKey: Buffer;
  /** `SHA256:` and the unpadded base64 of the SHA-256 of the public key blob, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  /** The public key line (`ssh-ed25519 AAAA...`), for a client's known_hosts. */
  readonly publicKey: string;
}

/** `SHA256:<unpadded base64>` of an SSH public key blob. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** A configured fingerprint in the one form we compare: with the `SHA256:` prefix, without padding. */
export function normaliseFingerprint(raw: string): string {
  const body = raw.trim().replace(/^SHA256:/i, '').replace(/=+$/, '');
  return `SHA256:${body}`;
}

export const hostKeyDir = (dataDir: string): string => join(dataDir, 'sftp');

function describe(type: string, privateKey: Buffer): HostKey {
  const parsed = utils.parseKey(privateKey);
  if (parsed instanceof Error || Array.isArray(parsed)) {
    throw new Error(`the ${type} host key in the data directory cannot be read${parsed instanceof Error ? `: ${parsed.message}` : ''}`);
  }
  const blob = parsed.getPublicSSH();
  return { type: parsed.type, privateKey, fingerprint: sshFingerprint(blob), publicKey: `${parsed.type} ${blob.toString('base64')}` };
}

/**
 * The ingress's host keys, Ed25519 and RSA (3072 bits), from `<dataDir>/sftp/`; generated there at
 * first start (private to this account) and kept, so that clients see the same host every time.
 * Replicas that share a data directory share their host keys.
 */
export function loadOrCreateHostKeys(dataDir: string): HostKey[] {
  const dir = hostKeyDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return HOST_KEY_TYPES.map((type) => {
    const file = join(dir, `ssh_host_${type}_key`);
    if (!existsSync(file)) {
      const pair = type === 'rsa' ? utils.generateKeyPairSync('rsa', { bits: 3072 }) : utils.generateKeyPairSync('ed25519');
      // Written beside and renamed, so that a second process starting at once reads a whole key.
      const staged = `${file}.${process.pid}.tmp`;
      writeFileSync(staged, pair.private, { mode: 0o600 });
      renameSync(staged, file);
    }
    chmodSync(file, 0o600);
    return describe(type, readFileSync(file));
  });
}

/** The public side of the host keys, for `GET /api/v1/sftp/host-key`, without creating any. Null when the ingress never started. */
export function readHostKeys(dataDir: string): HostKey[] | null {
  const dir = hostKeyDir(dataDir);
  const files = HOST_KEY_TYPES.map((type) => join(dir, `ssh_host_${type}_key`));
  if (!files.every((f) => existsSync(f))) {
    return null;
  }
  return files.map((f, i) => describe(HOST_KEY_TYPES[i]!, readFileSync(f)));
}
