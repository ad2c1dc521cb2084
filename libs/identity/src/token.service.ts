import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService, type AccessContext } from '@mft/audit';
import { Clock, hashToken, InvalidInputError, NotFoundError, randomToken } from '@mft/core';
import { Database } from '@mft/db';
import { IdentityRepository, type ApiTokenRecord } from './identity.repository.js';
import { SCOPES, type Scope } from './scopes.js';
import type { User } from './user.js';

/** The local bootstrap admin that `token create --user admin` creates when it is missing. */
export const BOOTSTRAP_ADMIN = 'admin';

export interface CreateTokenCommand {
  readonly username: string;
  readonly name?: string;
  readonly expiresAt?: Date | null;
  /** Defaults to every scope; the token can never do more than its user's roles allow. */
  readonly scopes?: readonly Scope[];
}

export interface CreatedToken extends ApiTokenRecord {
  /** The bearer secret: shown once, never stored. */
  readonly token: string;
  readonly username: string;
}

const TOKEN_PREFIX = 'mft_';

/** Creates and checks API bearer tokens; only their SHA-256 is stored. */
@Injectable()
export class TokenService {
  constructor(
    private readonly db: Database,
    private readonly repo: IdentityRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(cmd: CreateTokenCommand, ctx: AccessContext): Promise<CreatedToken> {
    if (cmd.expiresAt && cmd.expiresAt.getTime() <= this.clock.now().getTime()) {
      throw new InvalidInputError('token_expiry_in_past', 'The token expiry must be in the future.');
    }
    return this.db.transaction(async () => {
      let user = await this.repo.findUserByName(cmd.username);
      if (!user && cmd.username === BOOTSTRAP_ADMIN) {
        const admin: User = { id: randomUUID(), username: BOOTSTRAP_ADMIN, email: null, displayName: 'Administrator', roles: ['admin'] };
        await this.repo.insertUser(admin, 'local');
        user = (await this.repo.findUserByName(BOOTSTRAP_ADMIN))!;
        await this.audit.record(ctx, { type: 'user.created', details: { username: BOOTSTRAP_ADMIN, roles: ['admin'], source: 'bootstrap' } });
      }
      if (!user) {
        throw new NotFoundError('user_not_found', `There is no user named ${JSON.stringify(cmd.username)}.`);
      }
      const token = TOKEN_PREFIX + randomToken(32);
      const record = await this.repo.insertToken({
        id: randomUUID(),
        userId: user.id,
        name: cmd.name ?? 'cli',
        tokenHash: hashToken(token).toString('hex'),
        scopes: cmd.scopes && cmd.scopes.length > 0 ? [...new Set(cmd.scopes)] : [...SCOPES],
        expiresAt: cmd.expiresAt ?? null,
      });
      await this.audit.record(ctx, {
        type: 'token.created',
        details: { tokenId: record.id, username: user.username, name: record.name, scopes: record.scopes, expiresAt: record.expiresAt },
      });
      return { ...record, token, username: user.username };
    });
  }

  list(user: User): Promise<ApiTokenRecord[]> {
    return this.repo.listTokens(user.id);
  }

  /** Revokes one of the user's own tokens; another user's token id answers 404. */
  async revoke(user: User, tokenId: string, ctx: AccessContext): Promise<void> {
    await this.db.transaction(async () => {
      if (!(await this.repo.revokeToken(user.id, tokenId))) {
        throw new NotFoundError('token_not_found', 'You have no live API token with this id.');
      }
      await this.audit.record(ctx, { type: 'token.revoked', details: { tokenId, username: user.username } });
    });
  }

  /** Why `token` was refused, and the user it names when it is one of ours, for the audit. */
  async rejection(token: string): Promise<{ reason: 'malformed' | 'unknown' | 'revoked' | 'expired' | 'user_disabled'; username: string | null }> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) {
      return { reason: 'malformed', username: null };
    }
    const status = await this.repo.tokenStatus(hashToken(token).toString('hex'));
    if (!status) {
      return { reason: 'unknown', username: null };
    }
    const reason = status.revoked ? 'revoked' : status.expired ? 'expired' : status.userDisabled ? 'user_disabled' : 'unknown';
    return { reason, username: status.username };
  }

  /** The user and scopes of a bearer token, or null for an unknown, revoked or expired token. */
  async authenticate(token: string): Promise<{ user: User; scopes: string[] } | null> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) {
      return null;
    }
    return this.repo.userByTokenHash(hashToken(token).toString('hex'));
  }
}
