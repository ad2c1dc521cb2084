import { call, callJson } from './client.ts';

/** One of your SSH public keys as GET /api/v1/me/ssh-keys lists it. */
export interface SshKey {
  readonly id: string;
  readonly name: string;
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256` (384, 521) or `ssh-rsa`. */
  readonly algorithm: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

/** One of your app passwords as listed (never the password). */
export interface AppPassword {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

/** A new app password: the only answer that carries the password. */
export interface CreatedAppPassword {
  readonly id: string;
  readonly name: string;
  readonly password: string;
  readonly createdAt: string;
}

/** Your credentials for the SFTP door: public keys and app passwords. */
export const sftpApi = {
  keys: async (): Promise<SshKey[]> => (await call<{ keys: SshKey[] }>('GET', '/me/ssh-keys')).keys,
  addKey: (key: { name: string; publicKey: string }): Promise<SshKey> => callJson<SshKey>('POST', '/me/ssh-keys', key),
  revokeKey: (id: string): Promise<void> => call<void>('DELETE', `/me/ssh-keys/${encodeURIComponent(id)}`),
  appPasswords: async (): Promise<AppPassword[]> => (await call<{ appPasswords: AppPassword[] }>('GET', '/me/app-passwords')).appPasswords,
  createAppPassword: (name: string): Promise<CreatedAppPassword> => callJson<CreatedAppPassword>('POST', '/me/app-passwords', { name }),
  revokeAppPassword: (id: string): Promise<void> => call<void>('DELETE', `/me/app-passwords/${encodeURIComponent(id)}`),
};
