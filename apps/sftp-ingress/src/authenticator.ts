import { Logger } from '@nestjs/common';
import type { AuthContext, AuthenticationType } from 'ssh2';
import ssh2 from 'ssh2';
import { AuditService, RefusalAuditService, type AccessContext } from '@mft/audit';
import { RateLimitedError } from '@mft/core';
import { LoginThrottle, SftpCredentialsService, userActor, type User } from '@mft/identity';
import { CLIENT_KEY_TYPES } from './ssh-algorithms.js';

const { utils } = ssh2;

/** Attempts with a credential one connection may make before it is closed (OpenSSH's MaxAuthTries). */
export const MAX_AUTH_ATTEMPTS = 6;
const MAX_USERNAME = 128;
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Who signed in, and with what, for the session's later checks. */
export interface SftpPrincipal {
  readonly user: User;
  readonly credential: { readonly kind: 'key' | 'app_password'; readonly id: string; readonly fingerprint: string | null };
}

/**
 * Decides each SSH authentication request of one connection. Public keys: a key offered without a
 * signature only ever hears "this key is acceptable" (ssh2 answers PK_OK to `accept()` without a
 * signature), and a login needs a signature by the registered key over this session's identifier,
 * verified here; ssh-rsa with SHA-1 and unregistered key types are refused. App passwords are
 * argon2id-checked by the credentials service. No `none`, no keyboard-interactive. An address or user
 * name over its budget is refused before any credential is looked at; every success, failure and
 * lockout is audited with address, user name and key fingerprint.
 */
export class ConnectionAuthenticator {
  readonly #log = new Logger('SftpAuth');
  #failures = 0;
  principal: SftpPrincipal | null = null;

  constructor(
    private readonly ip: string | null,
    private readonly credentials: SftpCredentialsService,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditService,
    private readonly refusals: RefusalAuditService,
    private readonly mayUse: (user: User) => Promise<string | null>,
    private readonly disconnect: () => void,
  ) {}

  #ctx(username: string | null): AccessContext {
    return { actor: username ? `user:${username}` : 'anonymous', ip: this.ip, userAgent: 'sftp' };
  }

  async handle(ctx: AuthContext): Promise<void> {
    const methods: AuthenticationType[] = ['publickey', 'password'];
    const username = ctx.username;
    if (ctx.method === 'none' || ctx.method === 'keyboard-interactive' || ctx.method === 'hostbased') {
      // Not an attempt: clients ask `none` first to learn the methods.
      ctx.reject(methods);
      return;
    }
    if (typeof username !== 'string' || username.length === 0 || username.length > MAX_USERNAME || CONTROL.test(username)) {
      await this.#refuse(ctx, null, 'bad_username', {});
      return;
    }
    if (await this.throttle.lockedOut(this.#ctx(username), username)) {
      await this.refusals.record(this.#ctx(username), { type: 'auth.locked_out', details: { via: 'sftp', user: username, limit: 'loginPerIp/loginPerUser' } }).catch(() => undefined);
      await this.#refuse(ctx, username, 'locked_out', {}, false);
      return;
    }
    if (ctx.method === 'publickey') {
      await this.#publicKey(ctx, username);
      return;
    }
    await this.#password(ctx, username);
  }

  async #publicKey(ctx: AuthContext & { method: 'publickey' }, username: string): Promise<void> {
    const { key, signature, blob, hashAlgo } = ctx;
    const sha1Rsa = key.algo === 'ssh-rsa' && !hashAlgo;
    if (!CLIENT_KEY_TYPES.includes(key.algo) || sha1Rsa) {
      await this.#refuse(ctx, username, sha1Rsa ? 'rsa_sha1_refused' : 'key_type_refused', { keyType: key.algo });
      return;
    }
    if (!signature || !blob) {
      // The client asks whether this key would do: yes or no, never a login.
      const known = await this.credentials.findKeyLogin(username, key.algo, key.data);
      if (known) {
        ctx.accept();
      } else {
        this.#countFailure();
        ctx.reject(['publickey', 'password']);
      }
      return;
    }
    // A signature costs little to check (unlike an argon2 hash), so only a failed one is counted:
    // many scripts signing in at once from one address do not use up its budget.
    const login = await this.credentials.findKeyLogin(username, key.algo, key.data);
    const parsed = login ? utils.parseKey(key.data) : null;
    const verified = parsed && !(parsed instanceof Error) && !Array.isArray(parsed) && parsed.verify(blob, signature, hashAlgo) === true;
    if (!login || !verified) {
      if (await this.#counted(ctx, username)) {
        await this.#refuse(ctx, username, login ? 'bad_signature' : 'unknown_key', { keyType: key.algo, fingerprint: login?.fingerprint ?? null });
      }
      return;
    }
    await this.#admit(ctx, login.user, { kind: 'key', id: login.keyId, fingerprint: login.fingerprint }, 'publickey');
  }

  async #password(ctx: AuthContext & { method: 'password' }, username: string): Promise<void> {
    if (!(await this.#counted(ctx, username))) {
      return;
    }
    const login = await this.credentials.verifyAppPassword(username, ctx.password);
    if (!login) {
      await this.#refuse(ctx, username, 'bad_password', {});
      return;
    }
    await this.#admit(ctx, login.user, { kind: 'app_password', id: login.appPasswordId, fingerprint: null }, 'password');
  }

  /** Counts an attempt with a secret against the address's and the user's budgets; false (refused, disconnected) once either is used up. */
  async #counted(ctx: AuthContext, username: string): Promise<boolean> {
    try {
      await this.throttle.attemptAs(this.#ctx(username), username);
      return true;
    } catch (err) {
      await this.#refuse(ctx, username, err instanceof RateLimitedError ? 'locked_out' : 'throttle_failed', {}, false);
      return false;
    }
  }

  async #admit(ctx: AuthContext, user: User, credential: SftpPrincipal['credential'], method: string): Promise<void> {
    const why = await this.mayUse(user);
    if (why) {
      await this.#refuse(ctx, user.username, 'not_allowed', { message: why });
      return;
    }
    const actx: AccessContext = { actor: userActor(user), ip: this.ip, userAgent: 'sftp' };
    if (credential.kind === 'app_password') {
      await this.throttle.forgiveAs(actx, user.username);
    }
    if (credential.kind === 'key') {
      await this.credentials.markKeyUsed(credential.id);
    }
    await this.audit.record(actx, { type: 'auth.login', details: { via: 'sftp', method, user: user.username, credential: credential.kind, credentialId: credential.id, fingerprint: credential.fingerprint } });
    this.principal = { user, credential };
    ctx.accept();
  }

  #countFailure(): void {
    this.#failures += 1;
    if (this.#failures >= MAX_AUTH_ATTEMPTS) {
      this.#log.log({ msg: 'too many authentication attempts; closing the connection', ip: this.ip });
      this.disconnect();
    }
  }

  async #refuse(ctx: AuthContext, username: string | null, reason: string, details: Record<string, unknown>, count = true): Promise<void> {
    await this.audit
      .record(this.#ctx(username), { type: 'auth.login_failed', outcome: 'failure', details: { via: 'sftp', method: ctx.method, user: username === null ? null : username.slice(0, MAX_USERNAME), reason, ...details } })
      .catch((err: unknown) => this.#log.warn({ msg: 'could not audit a failed SFTP sign-in', err: String(err) }));
    ctx.reject(['publickey', 'password']);
    if (count) {
      this.#countFailure();
    } else {
      this.disconnect();
    }
  }
}
