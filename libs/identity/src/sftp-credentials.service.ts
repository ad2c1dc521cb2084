import { randomUUID, timingSafeEqual } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { z } from 'zod';
import { AuditService, type AccessContext } from '@mft/audit';
import { ConflictError, DomainError, InvalidInputError, isAllowedText, NotFoundError, randomToken } from '@mft/core';
import { Database } from '@mft/db';
import { generateAppPassword, looksLikeAppPassword } from './app-passwords.js';
import { AppPasswordsRepository, type AppPasswordView } from './app-passwords.repository.js';
import { PasswordHasher } from './password-hasher.js';
import { fingerprintOf, parseSshPublicKey, SSH_KEY_ALGORITHMS, SSH_PUBLIC_KEY_MAX_LENGTH } from './ssh-keys.js';
import { SshKeysRepository, type SshKeyView } from './ssh-keys.repository.js';
import type { User } from './user.js';

/** How many live SSH keys one person may have. */
export const SSH_KEYS_PER_USER = 50;
/** How many live app passwords one person may have; a sign-in tries at most this many hashes. */
export const APP_PASSWORDS_PER_USER = 20;

/** What the SFTP ingress checks again for an open session. */
export type SftpCredentialKind = 'key' | 'app_password';

/** A new app password: the only answer that carries the password itself. */
export interface CreatedAppPassword {
  readonly id: string;
  readonly name: string;
  /** Shown once; only its argon2id hash is stored. */
  readonly password: string;
  readonly createdAt: string;
}

/** Who a registered public key signs in (the ingress has still to verify the signature). */
export interface SshKeyLogin {
  readonly user: User;
  readonly keyId: string;
  readonly fingerprint: string;
}

/** Who an app password signs in. */
export interface AppPasswordLogin {
  readonly user: User;
  readonly appPasswordId: string;
}

/** A person has as many keys or app passwords as they may (422, with the limit). */
export class CredentialLimitError extends DomainError {
  constructor(code: string, message: string, limit: number) {
    super('policy', code, message, { limit });
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USERNAME_MAX = 200;
const RSA_SIGNATURE_ALGORITHMS = new Set(['rsa-sha2-256', 'rsa-sha2-512']);

const nameSchema = z
  .string({ message: 'must be text' })
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine((s) => isAllowedText(s) && !/\p{Cc}/u.test(s), 'must not contain control characters');

function parseName(value: unknown, code: string, what: string): string {
  const r = nameSchema.safeParse(value);
  if (!r.success) {
    throw new InvalidInputError(code, `The name of the ${what} ${r.error.issues[0]?.message ?? 'is not valid'}: give it a short label, such as "work laptop".`, { field: 'name' });
  }
  return r.data;
}

/**
 * The credentials people sign in to the SFTP ingress with: public keys and app passwords, managed
 * by their owner (API, staff app) or an operator (CLI), and looked up by the ingress. A public key
 * identifies one person only. Every change is audited in its transaction.
 */
@Injectable()
export class SftpCredentialsService implements OnModuleInit {
  #dummyHash: Promise<string> | null = null;

  constructor(
    private readonly db: Database,
    private readonly keys: SshKeysRepository,
    private readonly appPasswords: AppPasswordsRepository,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    // The first sign-in of an unknown user must not be the one that also pays for this hash.
    this.dummyHash().catch(() => undefined);
  }

  /**
   * Registers an OpenSSH public key line for `user`. Refuses (400) what is not an accepted public
   * key, 409 when the key is registered already (to anyone: to whom is not said), 422 over the limit.
   */
  async addKey(user: User, cmd: { name: unknown; publicKey: unknown }, ctx: AccessContext): Promise<SshKeyView> {
    const key = parseSshPublicKey(cmd.publicKey);
    const name = cmd.name === undefined || cmd.name === null || cmd.name === '' ? defaultKeyName(key.comment, key.algorithm) : parseName(cmd.name, 'ssh_key_name_invalid', 'SSH key');
    return this.db.transaction(async () => {
      if ((await this.keys.lockAndCount(user.id)) >= SSH_KEYS_PER_USER) {
        throw new CredentialLimitError(
          'ssh_key_limit',
          `You have ${String(SSH_KEYS_PER_USER)} SSH keys, the most one person may have: revoke one you no longer use, then add this one.`,
          SSH_KEYS_PER_USER,
        );
      }
      const added = await this.keys.insert({ id: randomUUID(), userId: user.id, name, algorithm: key.algorithm, publicKey: key.blob.toString('base64'), fingerprint: key.fingerprint });
      if (!added) {
        throw new ConflictError(
          'ssh_key_registered',
          `This key (${key.fingerprint}) is registered already, and a key can sign in only one person. If it is yours, it is in your list; otherwise create a new key with "ssh-keygen -t ed25519" and add that one.`,
        );
      }
      await this.audit.record(ctx, {
        type: 'sftp.key_added',
        details: { keyId: added.id, username: user.username, name: added.name, algorithm: added.algorithm, fingerprint: added.fingerprint },
      });
      return added;
    });
  }

  /** The user's live keys, newest first. */
  listKeys(user: User): Promise<SshKeyView[]> {
    return this.keys.list(user.id);
  }

  /** Revokes one of the user's own keys at once; another user's key, or a revoked one, answers 404. */
  async revokeKey(user: User, keyId: string, ctx: AccessContext): Promise<void> {
    await this.db.transaction(async () => {
      const revoked = UUID.test(keyId) ? await this.keys.revoke(user.id, keyId) : null;
      if (!revoked) {
        throw new NotFoundError('ssh_key_not_found', 'You have no SSH key with this id (it may be revoked already).');
      }
      await this.audit.record(ctx, { type: 'sftp.key_revoked', details: { keyId, username: user.username, name: revoked.name, fingerprint: revoked.fingerprint } });
    });
  }

  /** Creates an app password (160 bits from the CSPRNG) and answers it, this once; 422 over the limit. */
  async createAppPassword(user: User, cmd: { name: unknown }, ctx: AccessContext): Promise<CreatedAppPassword> {
    const name = parseName(cmd.name, 'app_password_name_invalid', 'app password');
    const password = generateAppPassword();
    const passwordHash = await this.hasher.hash(password);
    return this.db.transaction(async () => {
      if ((await this.appPasswords.lockAndCount(user.id)) >= APP_PASSWORDS_PER_USER) {
        throw new CredentialLimitError(
          'app_password_limit',
          `You have ${String(APP_PASSWORDS_PER_USER)} app passwords, the most one person may have: revoke one you no longer use, then create this one.`,
          APP_PASSWORDS_PER_USER,
        );
      }
      const created = await this.appPasswords.insert({ id: randomUUID(), userId: user.id, name, passwordHash });
      await this.audit.record(ctx, { type: 'sftp.app_password_created', details: { appPasswordId: created.id, username: user.username, name: created.name } });
      return { id: created.id, name: created.name, password, createdAt: created.createdAt };
    });
  }

  /** The user's live app passwords, newest first (never their hashes). */
  listAppPasswords(user: User): Promise<AppPasswordView[]> {
    return this.appPasswords.list(user.id);
  }

  /** Revokes one of the user's own app passwords at once; another user's, or a revoked one, answers 404. */
  async revokeAppPassword(user: User, id: string, ctx: AccessContext): Promise<void> {
    await this.db.transaction(async () => {
      const revoked = UUID.test(id) ? await this.appPasswords.revoke(user.id, id) : null;
      if (!revoked) {
        throw new NotFoundError('app_password_not_found', 'You have no app password with this id (it may be revoked already).');
      }
      await this.audit.record(ctx, { type: 'sftp.app_password_revoked', details: { appPasswordId: id, username: user.username, name: revoked.name } });
    });
  }

  /**
   * The live key of the enabled user `username` whose blob is exactly `keyData`, of key type
   * `algorithm` (ssh2's `ctx.key.algo`: `ssh-rsa` for RSA, whichever hash it signs with;
   * `rsa-sha2-256`/`-512` are taken as `ssh-rsa` too). Null when there is none. The signature is
   * NOT checked here: the ingress verifies it over the session id before it lets anyone in, and
   * refuses SHA-1 RSA signatures.
   */
  async findKeyLogin(username: string, algorithm: string, keyData: Buffer): Promise<SshKeyLogin | null> {
    if (!validUsername(username) || !Buffer.isBuffer(keyData) || keyData.length === 0 || keyData.length > SSH_PUBLIC_KEY_MAX_LENGTH) {
      return null;
    }
    const type = RSA_SIGNATURE_ALGORITHMS.has(algorithm) ? 'ssh-rsa' : algorithm;
    if (!(SSH_KEY_ALGORITHMS as readonly string[]).includes(type)) {
      return null;
    }
    const match = await this.keys.findLive(username, fingerprintOf(keyData));
    if (!match) {
      return null;
    }
    const stored = Buffer.from(match.publicKey, 'base64');
    if (stored.length !== keyData.length || !timingSafeEqual(stored, keyData) || match.algorithm !== type) {
      return null;
    }
    return { user: match.user, keyId: match.keyId, fingerprint: match.fingerprint };
  }

  /**
   * The enabled user `username` when `password` is one of their live app passwords (the newest
   * APP_PASSWORDS_PER_USER are tried), recording its use; else null. An unknown user, or a password
   * that cannot be an app password, costs one argon2 verification all the same, so that user
   * names cannot be told apart by the time the answer takes.
   */
  async verifyAppPassword(username: string, password: string): Promise<AppPasswordLogin | null> {
    const candidates = validUsername(username) ? await this.appPasswords.candidates(username, APP_PASSWORDS_PER_USER) : null;
    const hashes = candidates && typeof password === 'string' && looksLikeAppPassword(password) ? candidates.passwords : [];
    if (!candidates || hashes.length === 0) {
      await this.hasher.verify(await this.dummyHash(), typeof password === 'string' ? password.slice(0, 256) : '');
      return null;
    }
    for (const p of hashes) {
      if (await this.hasher.verify(p.hash, password)) {
        // Revoked (or the user disabled) while the hashes were compared: refused.
        return (await this.appPasswords.markUsed(p.id)) ? { user: candidates.user, appPasswordId: p.id } : null;
      }
    }
    return null;
  }

  /** Records that the key signed someone in (its last-used time). */
  async markKeyUsed(keyId: string): Promise<void> {
    if (UUID.test(keyId)) {
      await this.keys.markUsed(keyId);
    }
  }

  /** Whether the key or app password still signs its user in: false once it is revoked or the user disabled. */
  async credentialStillValid(kind: SftpCredentialKind, id: string): Promise<boolean> {
    if (typeof id !== 'string' || !UUID.test(id)) {
      return false;
    }
    switch (kind) {
      case 'key':
        return this.keys.isLive(id);
      case 'app_password':
        return this.appPasswords.isLive(id);
    }
  }

  private dummyHash(): Promise<string> {
    this.#dummyHash ??= this.hasher.hash(randomToken(32)).catch((err: unknown) => {
      this.#dummyHash = null;
      throw err;
    });
    return this.#dummyHash;
  }
}

const validUsername = (username: unknown): username is string => typeof username === 'string' && username.length > 0 && username.length <= USERNAME_MAX && isAllowedText(username);

/** A key added without a name is named by its comment (often `user@host`), else by its type. */
function defaultKeyName(comment: string, algorithm: string): string {
  const r = nameSchema.safeParse(comment);
  return r.success ? r.data : `${algorithm} key`;
}
