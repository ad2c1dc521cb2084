import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomToken } from '@mft/core';
import type { AppConfig } from './config.schema.js';
import { projectRoot } from './config.loader.js';

/** Typed, read-only access to the validated configuration. */
export class AppConfigService {
  readonly #secretKey: string;

  constructor(readonly values: AppConfig) {
    this.#secretKey = values.secretKey ?? this.loadOrCreateSecretKey();
  }

  get http(): AppConfig['http'] {
    return this.values.http;
  }
  get sftp(): AppConfig['sftp'] {
    return this.values.sftp;
  }
  get links(): AppConfig['links'] {
    return this.values.links;
  }
  get jobs(): AppConfig['jobs'] {
    return this.values.jobs;
  }
  get mail(): AppConfig['mail'] {
    return this.values.mail;
  }
  get emailVerification(): AppConfig['emailVerification'] {
    return this.values.emailVerification;
  }
  /** The policy file: applied at start, and authoritative, when it exists. */
  get policyFile(): string {
    const file = this.values.policy.file;
    return file ? resolve(file) : join(projectRoot(), 'config', 'policy.yaml');
  }
  get rateLimits(): AppConfig['rateLimits'] {
    return this.values.rateLimits;
  }
  get dataDir(): string {
    return this.values.dataDir;
  }
  get databaseUrl(): string | null {
    return this.values.database.url;
  }
  get publicUrl(): string {
    return (this.values.http.publicUrl ?? `http://localhost:${this.values.http.port}`).replace(/\/+$/, '');
  }
  /** Whether clients reach the gateway over HTTPS: cookies are then `Secure`, and HSTS is sent. */
  get behindTls(): boolean {
    return this.publicUrl.startsWith('https:');
  }
  /** The key behind CSRF tokens and cookie signatures. */
  get secretKey(): string {
    return this.#secretKey;
  }

  private loadOrCreateSecretKey(): string {
    const file = join(this.values.dataDir, 'secret.key');
    if (existsSync(file)) {
      return readFileSync(file, 'utf8').trim();
    }
    mkdirSync(this.values.dataDir, { recursive: true });
    const key = randomToken(48);
    writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return key;
  }
}
