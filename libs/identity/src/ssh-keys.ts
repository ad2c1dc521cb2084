import { createHash, createPublicKey } from 'node:crypto';
import ssh2 from 'ssh2';
import { InvalidInputError } from '@mft/core';

const { utils } = ssh2;

/** The public key types a person may register; RSA is used with SHA-2 signatures only. */
export const SSH_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'] as const;
export type SshKeyAlgorithm = (typeof SSH_KEY_ALGORITHMS)[number];

/** The smallest RSA modulus accepted, and the largest (a bigger one only costs the server time). */
export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 16384;

/** The longest public key line taken in: an RSA key of 16384 bits is about 2.8 KB. */
export const SSH_PUBLIC_KEY_MAX_LENGTH = 16 * 1024;

/** A public key that may be registered: its type, its wire-format blob and its fingerprint. */
export interface ParsedSshPublicKey {
  readonly algorithm: SshKeyAlgorithm;
  /** The key in the SSH wire format (what an SSH client offers when it signs in). */
  readonly blob: Buffer;
  /** `SHA256:` and the unpadded base64 of the SHA-256 of the blob, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  /** The comment after the key data (often `user@host`), or '' when there is none. */
  readonly comment: string;
}

/** The fingerprint of a key blob as `ssh-keygen -l` prints it: `SHA256:` and unpadded base64. */
export function fingerprintOf(keyData: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyData).digest('base64').replace(/=+$/, '')}`;
}

const EXAMPLE = 'the one line of your .pub file, such as "ssh-ed25519 AAAAC3Nza… you@laptop" (ssh-keygen -t ed25519 creates one)';
// C0 controls, DEL and C1 controls: a pasted key is printable text on one line.
const CONTROL = /\p{Cc}/u;
const KEY_TYPE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+|[a-z0-9-]+-cert-v0[01]@openssh\.com)$/;
// An authorized_keys line: options (from="…",no-pty) before the key type.
const OPTIONS_BEFORE_KEY = / (ssh-|ecdsa-sha2-|sk-)\S+ +AAAA/;

const invalid = (code: string, message: string): InvalidInputError => new InvalidInputError(code, message, { field: 'publicKey' });

/**
 * Parses one OpenSSH public key line (`<type> <base64> [comment]`) with ssh2's parser and keeps it
 * only when it is one of the accepted types: Ed25519, ECDSA on the NIST curves, RSA of at least
 * 2048 bits. Private keys, certificates, DSA, short RSA keys, damaged key data and control
 * characters are refused with an InvalidInputError that says what to paste instead.
 */
export function parseSshPublicKey(input: unknown): ParsedSshPublicKey {
  if (typeof input !== 'string' || input.trim() === '') {
    throw invalid('ssh_key_required', `Paste a public key: ${EXAMPLE}.`);
  }
  if (input.length > SSH_PUBLIC_KEY_MAX_LENGTH) {
    throw invalid('ssh_key_invalid', `The public key is too long (at most ${String(SSH_PUBLIC_KEY_MAX_LENGTH)} characters): paste ${EXAMPLE}.`);
  }
  if (/PRIVATE KEY|PuTTY-User-Key-File/.test(input)) {
    throw invalid(
      'ssh_key_private',
      'This is a private key: keep it secret, on your computer only. Paste the public key instead: the one line of the file that ends in .pub (for example ~/.ssh/id_ed25519.pub).',
    );
  }
  const line = input.trim();
  if (/BEGIN SSH2 PUBLIC KEY/.test(line)) {
    throw invalid('ssh_key_invalid', 'This public key is in the RFC 4716 (SSH2) format: convert it to one OpenSSH line with "ssh-keygen -i -f <file>" and paste that.');
  }
  if (/[\r\n]/.test(line)) {
    throw invalid('ssh_key_invalid', `Paste one key at a time, on one line: ${EXAMPLE}.`);
  }
  if (CONTROL.test(line)) {
    throw invalid('ssh_key_control_characters', `The public key contains a control character (a tab, NUL or similar): paste ${EXAMPLE}.`);
  }
  const [type = '', data = ''] = line.split(/ +/);
  if (!KEY_TYPE.test(type)) {
    throw OPTIONS_BEFORE_KEY.test(line)
      ? invalid('ssh_key_invalid', `Remove the options in front of the key type (such as from="…" in an authorized_keys file) and paste just ${EXAMPLE}.`)
      : invalid('ssh_key_invalid', `This is not an OpenSSH public key: paste ${EXAMPLE}.`);
  }
  if (type.includes('-cert-')) {
    throw invalid('ssh_key_certificate', 'SSH certificates are not accepted: paste the plain public key, the .pub file without "-cert" in its name.');
  }
  if (type === 'ssh-dss') {
    throw invalid('ssh_key_type_unsupported', 'DSA keys (ssh-dss) are no longer safe and are not accepted: create an Ed25519 key with "ssh-keygen -t ed25519" and paste its .pub file.');
  }
  if (!(SSH_KEY_ALGORITHMS as readonly string[]).includes(type)) {
    throw invalid(
      'ssh_key_type_unsupported',
      `Keys of type ${type} are not accepted. Use Ed25519 (ssh-keygen -t ed25519), ECDSA (ssh-keygen -t ecdsa) or RSA of at least ${String(RSA_MIN_BITS)} bits.`,
    );
  }
  const parsed = utils.parseKey(line);
  if (parsed instanceof Error || parsed.isPrivateKey() || parsed.type !== type) {
    throw invalid('ssh_key_invalid', `The key data is damaged or incomplete (was it cut off when copied?): paste ${EXAMPLE}.`);
  }
  const blob = parsed.getPublicSSH();
  // ssh2 reads the fields it needs and ignores the rest: a blob that is not exactly the key it
  // describes (trailing bytes, another curve's name, stray base64) is not registered.
  const canonical = blob.toString('base64');
  if (data !== canonical && data !== canonical.replace(/=+$/, '')) {
    throw invalid('ssh_key_invalid', `The key data is damaged or incomplete (was it cut off when copied?): paste ${EXAMPLE}.`);
  }
  checkKeyMaterial(type as SshKeyAlgorithm, parsed.getPublicPEM());
  return { algorithm: type as SshKeyAlgorithm, blob, fingerprint: fingerprintOf(blob), comment: parsed.comment };
}

/** The key must be a valid point or modulus (OpenSSL decodes it), and RSA must be long enough. */
function checkKeyMaterial(algorithm: SshKeyAlgorithm, pem: string): void {
  let details: { modulusLength?: number; publicExponent?: bigint };
  try {
    details = createPublicKey(pem).asymmetricKeyDetails ?? {};
  } catch {
    throw invalid('ssh_key_invalid', `The key data is damaged (it is not a valid ${algorithm} key): paste ${EXAMPLE}.`);
  }
  if (algorithm !== 'ssh-rsa') {
    return;
  }
  const bits = details.modulusLength ?? 0;
  const e = details.publicExponent ?? 0n;
  if (e < 3n || e % 2n === 0n) {
    throw invalid('ssh_key_invalid', `The key data is damaged (it is not a valid RSA key): paste ${EXAMPLE}.`);
  }
  if (bits < RSA_MIN_BITS) {
    throw invalid(
      'ssh_key_too_short',
      `This RSA key has ${String(bits)} bits; RSA keys need at least ${String(RSA_MIN_BITS)}. Create an Ed25519 key with "ssh-keygen -t ed25519" (or RSA with "ssh-keygen -t rsa -b 4096") and paste its .pub file.`,
    );
  }
  if (bits > RSA_MAX_BITS) {
    throw invalid('ssh_key_invalid', `This RSA key has ${String(bits)} bits; at most ${String(RSA_MAX_BITS)} are accepted. Create an Ed25519 key with "ssh-keygen -t ed25519".`);
  }
}
