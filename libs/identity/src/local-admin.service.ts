import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { generateURI, ScureBase32Plugin, verify } from 'otplib';
import { AuditService, type AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { DomainError, ForbiddenError, hmac, InvalidInputError, NotFoundError, RateLimitedError, SecretBox, UnauthenticatedError } from '@mft/core';
import { Database } from '@mft/db';
import { LocalAdminRepository, type LocalAccount } from './local-admin.repository.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { BOOTSTRAP_ADMIN } from './token.service.js';
import type { User } from './user.js';

const PERIOD = 30;
const MIN_PASSWORD = 12;
/** A real argon2id hash of a random string, verified when the user does not exist, so timing does not tell. */
let decoyHash: string | null = null;
const base32 = new ScureBase32Plugin();

export interface TotpEnrollment {
  readonly secret: string;
  readonly uri: string;
}

const loginFailed = (): UnauthenticatedError => new UnauthenticatedError('login_failed', 'The user name, password or code is not correct.');
const isLocked = (a: LocalAccount): boolean => a.lockedUntil !== null && a.lockedUntil.getTime() > Date.now();

const toUser = (a: LocalAccount): User => ({ id: a.id, username: a.username, email: a.email, displayName: a.displayName, roles: a.roles });

/**
 * The local break-glass administrator: a password (argon2id) and a mandatory TOTP second factor,
 * enrolled at first sign-in, with one-time recovery codes. Failures lock the account with a
 * doubling back-off. Can be switched off (`auth.localAdmin.enabled`) once SSO works.
 */
@Injectable()
export class LocalAdminService {
  readonly #box: SecretBox;

  constructor(
    private readonly db: Database,
    private readonly repo: LocalAdminRepository,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditService,
    private readonly config: AppConfigService,
  ) {
    this.#box = new SecretBox(config.secretKey, 'totp');
  }

  private get rules(): AppConfigService['values']['auth']['localAdmin'] {
    return this.config.values.auth.localAdmin;
  }

  assertEnabled(): void {
    if (!this.rules.enabled) {
      throw new ForbiddenError('local_login_disabled', 'Local sign-in is switched off on this gateway. Sign in with your organisation account.');
    }
  }

  /** Sets a local user's password (CLI). */
  async setPassword(username: string, password: string): Promise<void> {
    if ([...password].length < MIN_PASSWORD) {
      throw new InvalidInputError('password_too_short', `A local password needs at least ${MIN_PASSWORD} characters.`);
    }
    if (username === BOOTSTRAP_ADMIN) {
      await this.repo.insertLocalUser({ id: randomUUID(), username, email: null, roles: ['admin'] });
    }
    const account = await this.repo.find(username);
    if (!account) {
      throw new NotFoundError('user_not_found', `There is no local user named ${JSON.stringify(username)}.`);
    }
    await this.repo.setPassword(account.id, await this.hasher.hash(password));
  }

  /** After the password step (the account is known to whoever passed it), a lock may be named. */
  private assertNotLocked(account: LocalAccount): void {
    const until = account.lockedUntil;
    if (until && isLocked(account)) {
      throw new RateLimitedError(
        'account_locked',
        `Too many failed attempts: this account is locked until ${until.toISOString()}.`,
        Math.ceil((until.getTime() - Date.now()) / 1000),
      );
    }
  }

  private async fail(account: LocalAccount, reason: string, ctx: AccessContext): Promise<never> {
    const lockedUntil = await this.repo.recordFailure(account.id, this.rules.maxFailures, this.rules.lockoutSeconds, this.rules.maxLockoutSeconds);
    await this.audit.record(ctx, { type: 'auth.login_failed', outcome: 'failure', details: { method: 'local', username: account.username, reason } });
    if (lockedUntil && lockedUntil.getTime() > Date.now()) {
      await this.audit.record(ctx, { type: 'auth.locked_out', outcome: 'denied', details: { username: account.username, until: lockedUntil.toISOString() } });
    }
    throw loginFailed();
  }

  /** First factor. Returns the user and what comes next: the TOTP code, or enrolment on first sign-in. */
  async checkPassword(username: string, password: string, ctx: AccessContext): Promise<{ user: User; next: 'totp' | 'totp_enroll' }> {
    this.assertEnabled();
    await this.throttle.attempt(ctx, 'password');
    const account = await this.repo.find(username);
    // An unknown user, a locked account and a wrong password get the same answer after the same
    // work (one argon2 verification), so the form tells nobody which accounts exist or are locked.
    if (!account || !account.passwordHash) {
      decoyHash ??= await this.hasher.hash(randomBytes(16).toString('hex'));
      await this.hasher.verify(decoyHash, password);
      await this.audit.record(ctx, { type: 'auth.login_failed', outcome: 'failure', details: { method: 'local', username: username.slice(0, 100), reason: 'unknown user or no password' } });
      throw loginFailed();
    }
    const right = await this.hasher.verify(account.passwordHash, password);
    if (isLocked(account)) {
      await this.audit.record(ctx, {
        type: 'auth.login_failed',
        outcome: 'denied',
        details: { method: 'local', username: account.username, reason: 'account locked', until: account.lockedUntil!.toISOString() },
      });
      throw loginFailed();
    }
    if (!right) {
      return this.fail(account, 'wrong password', ctx);
    }
    const enrolled = account.totpSecret !== null && account.totpLastStep !== null;
    return { user: toUser(account), next: enrolled ? 'totp' : 'totp_enroll' };
  }

  /**
   * The TOTP secret of the enrolment in progress in `session` (the raw id of the half-signed-in
   * session), for a user who has none confirmed yet. It is derived from the session, so a reload or
   * a wrong code shows the same secret (the one already added to the authenticator), and the next
   * sign-in starts with a new one; it stays pending (sealed) until a right code confirms it.
   */
  async beginEnrollment(userId: string, session: string): Promise<TotpEnrollment> {
    const account = await this.mustFind(userId);
    if (account.totpLastStep !== null) {
      throw new ForbiddenError('totp_already_enrolled', 'Two-factor sign-in is already set up for this account.');
    }
    const seed = createHmac('sha256', this.config.secretKey).update(`totp-enroll:${session}`).digest().subarray(0, 20);
    const secret = base32.encode(seed, { padding: false });
    await this.repo.setPendingTotp(userId, this.#box.seal(secret));
    return { secret, uri: generateURI({ issuer: 'MFT gateway', label: account.username, secret }) };
  }

  /** Confirms enrolment with a first code; returns the one-time recovery codes (shown once). */
  async confirmEnrollment(userId: string, code: string, ctx: AccessContext): Promise<string[]> {
    const account = await this.mustFind(userId);
    this.assertNotLocked(account);
    if (!account.totpSecret || account.totpLastStep !== null) {
      throw new ForbiddenError('totp_not_pending', 'There is no two-factor enrolment in progress. Sign in again.');
    }
    const step = await this.matchStep(this.#box.open(account.totpSecret), code);
    if (step === null || !(await this.repo.acceptStep(userId, step))) {
      return this.fail(account, 'wrong enrolment code', ctx);
    }
    const codes = Array.from({ length: 10 }, () => randomBytes(8).toString('base64url').replace(/[-_]/g, 'x').slice(0, 10));
    await this.db.transaction(async () => {
      await this.repo.replaceRecoveryCodes(userId, codes.map((c) => this.recoveryHash(c)));
      await this.repo.clearFailures(userId);
      await this.audit.record(ctx, { type: 'auth.totp_enrolled', details: { username: account.username } });
      await this.audit.record(ctx, { type: 'auth.login', details: { method: 'local', username: account.username } });
    });
    return codes;
  }

  /** Second factor: a TOTP code (never one already used) or a one-time recovery code. */
  async checkSecondFactor(userId: string, code: string, ctx: AccessContext): Promise<User> {
    const account = await this.mustFind(userId);
    this.assertNotLocked(account);
    const trimmed = code.replace(/\s+/g, '');
    let ok = false;
    if (/^\d{6}$/.test(trimmed) && account.totpSecret) {
      const step = await this.matchStep(this.#box.open(account.totpSecret), trimmed);
      ok = step !== null && (await this.repo.acceptStep(userId, step));
    } else if (/^[A-Za-z0-9]{10}$/.test(trimmed)) {
      ok = await this.repo.useRecoveryCode(userId, this.recoveryHash(trimmed));
      if (ok) {
        await this.audit.record(ctx, { type: 'auth.recovery_code_used', details: { username: account.username } });
      }
    }
    if (!ok) {
      return this.fail(account, 'wrong or reused second-factor code', ctx);
    }
    await this.repo.clearFailures(userId);
    await this.audit.record(ctx, { type: 'auth.login', details: { method: 'local', username: account.username } });
    return toUser(account);
  }

  /** The time step a code belongs to (current ±1), or null. */
  private async matchStep(secret: string, code: string): Promise<number | null> {
    if (!/^\d{6}$/.test(code)) {
      return null;
    }
    try {
      const result = await verify({ secret, token: code, epochTolerance: PERIOD });
      if (!result.valid) {
        return null;
      }
      return 'epoch' in result ? Math.floor(result.epoch / PERIOD) : Math.floor(Date.now() / 1000 / PERIOD) + result.delta;
    } catch (err) {
      if (err instanceof DomainError) {
        throw err;
      }
      return null;
    }
  }

  private recoveryHash(code: string): string {
    return hmac(this.config.secretKey, `recovery:${code.toLowerCase()}`);
  }

  private async mustFind(userId: string): Promise<LocalAccount> {
    const account = await this.repo.findById(userId);
    if (!account) {
      throw new UnauthenticatedError('login_failed', 'The user name, password or code is not correct.');
    }
    return account;
  }
}
