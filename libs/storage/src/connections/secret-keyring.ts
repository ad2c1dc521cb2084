import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { Database } from '@mft/db';
import { DomainError } from '@mft/core';
import { ConnectionsRepository } from './connections.repository.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value that cannot be opened: tampered with, under a key that is gone, or under another SECRET_KEY. */
export class SecretUnreadableError extends DomainError {
  constructor(readonly operatorDetail: string) {
    super('unavailable', 'connection_secrets_unreadable', 'The secrets of this storage connection cannot be read; an administrator must enter them again.');
  }
}

function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
    throw new SecretUnreadableError('not a sealed value of a known version');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SecretUnreadableError('authentication failed (tampered with, or sealed under another key)');
  }
}

/** What a rotation did. */
export interface RotationResult {
  readonly keyId: string;
  readonly resealed: number;
  readonly retiredKeys: number;
}

/**
 * Seals the secrets of storage connections with AES-256-GCM. Each value is sealed under a random
 * data key whose id is stored beside it; data keys live in `secret_keys`, wrapped under a key
 * derived with HKDF-SHA256 from SECRET_KEY (which never reaches the database), so a copy of the
 * database alone opens nothing. The associated data binds each sealed value to its connection and
 * key, so a value copied to another row does not open. `rotate` re-seals every secret under a new
 * data key and deletes the old ones, in one transaction.
 */
export class SecretKeyring {
  readonly #kek: Buffer;
  /** Unwrapped data keys by id; ids are never reused, so an entry cannot go stale. */
  readonly #keys = new Map<string, Buffer>();

  constructor(
    secretKey: string,
    private readonly db: Database,
    private readonly repo: ConnectionsRepository,
  ) {
    this.#kek = Buffer.from(hkdfSync('sha256', secretKey, 'mft-secret-keyring', 'storage connection secrets: key-encryption key v1', 32));
  }

  private async dataKey(id: string): Promise<Buffer> {
    const cached = this.#keys.get(id);
    if (cached) {
      return cached;
    }
    const row = await this.repo.key(id);
    if (!row) {
      throw new SecretUnreadableError(`data key ${id} no longer exists`);
    }
    const key = open(this.#kek, row.wrapped, `secret_keys:${id}`);
    this.#keys.set(id, key);
    return key;
  }

  private async newKey(): Promise<string> {
    const id = randomUUID();
    const key = randomBytes(32);
    await this.repo.insertKey({ id, wrapped: seal(this.#kek, key, `secret_keys:${id}`) });
    this.#keys.set(id, key);
    return id;
  }

  /** Seals `secrets` of connection `connectionId`. Call inside the transaction that stores the result. */
  async seal(connectionId: string, secrets: Record<string, string>): Promise<{ sealed: Buffer; keyId: string }> {
    return this.db.transaction(async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const current = await this.repo.currentKey();
        const keyId = current ? current.id : await this.newKey();
        // A rotation holds the keyring exclusively; once it commits, its old key is gone and we try the new one.
        if (current && !(await this.repo.shareKey(keyId))) {
          continue;
        }
        const sealed = seal(await this.dataKey(keyId), Buffer.from(JSON.stringify(secrets), 'utf8'), `storage_connections:${connectionId}:${keyId}`);
        return { sealed, keyId };
      }
      throw new SecretUnreadableError('the keyring kept changing while sealing');
    });
  }

  /** Opens what `seal` sealed for the same connection. */
  async open(connectionId: string, sealed: Buffer, keyId: string): Promise<Record<string, string>> {
    const plain = open(await this.dataKey(keyId), sealed, `storage_connections:${connectionId}:${keyId}`);
    return JSON.parse(plain.toString('utf8')) as Record<string, string>;
  }

  /** Re-seals every secret under a new data key and deletes every other data key. */
  async rotate(): Promise<RotationResult> {
    const result = await this.db.transaction(async () => {
      await this.repo.lockKeyring();
      const keyId = await this.newKey();
      const rows = await this.repo.sealedForUpdate();
      for (const row of rows) {
        const secrets = await this.open(row.id, row.sealed, row.keyId);
        const sealed = seal(await this.dataKey(keyId), Buffer.from(JSON.stringify(secrets), 'utf8'), `storage_connections:${row.id}:${keyId}`);
        await this.repo.reseal(row.id, sealed, keyId);
      }
      const retiredKeys = await this.repo.deleteKeysExcept(keyId);
      return { keyId, resealed: rows.length, retiredKeys };
    });
    for (const id of [...this.#keys.keys()]) {
      if (id !== result.keyId) {
        this.#keys.delete(id);
      }
    }
    return result;
  }
}
