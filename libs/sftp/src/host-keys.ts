import { createHash } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';

const { utils } = ssh2;

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
 * A new key pair that reads back whole and signs what it verifies. ssh2's generator now and then
 * writes an Ed25519 key that does not (about one in 150), so each is checked and made again if need be.
 */
function soundKeyPair(type: HostKeyType): { private: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = type === 'rsa' ? utils.generateKeyPairSync('rsa', { bits: 3072 }) : utils.generateKeyPairSync('ed25519');
    const priv = utils.parseKey(pair.private);
    const pub = utils.parseKey(pair.public);
    if (priv instanceof Error || Array.isArray(priv) || pub instanceof Error || Array.isArray(pub)) {
      continue;
    }
    const probe = Buffer.from('host key check');
    const signature = priv.sign(probe);
    if (!(signature instanceof Error) && pub.verify(probe, signature) === true && priv.getPublicSSH().equals(pub.getPublicSSH())) {
      return pair;
    }
  }
  throw new Error(`could not generate a sound ${type} host key`);
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
      const pair = soundKeyPair(type);
      // Written beside and linked into place: a second process starting at once either wins (and
      // this one reads its key) or loses; both serve the same key from then on.
      const staged = `${file}.${process.pid}.tmp`;
      writeFileSync(staged, pair.private, { mode: 0o600 });
      try {
        linkSync(staged, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw err;
        }
      } finally {
        unlinkSync(staged);
      }
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
