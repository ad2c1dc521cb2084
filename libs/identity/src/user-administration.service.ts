import { Injectable } from '@nestjs/common';
import { AuditService, type AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { ConflictError, NotFoundError } from '@mft/core';
import { Database } from '@mft/db';
import { AppPasswordsRepository } from './app-passwords.repository.js';
import { IdentityRepository, type OwnedApiTokenRecord } from './identity.repository.js';
import { SessionsRepository } from './sessions.repository.js';
import { SshKeysRepository } from './ssh-keys.repository.js';
import { ROLES, type Role, type User } from './user.js';
import { UsersRepository, type UserListFilter, type UserRecord } from './users.repository.js';

/** A user as administrators see and manage them. */
export interface ManagedUser {
  readonly id: string;
  /** The user name (the `user` of GET /api/v1/me, the SFTP login). */
  readonly user: string;
  readonly email: string | null;
  readonly displayName: string | null;
  readonly roles: readonly Role[];
  /** `local`: the gateway's administrators set the roles; `idp`: the identity provider's groups do, at each sign-in. */
  readonly rolesFrom: 'local' | 'idp';
  /** The identity provider of an SSO user (its configured id and name); null for local users. */
  readonly idp: { readonly id: string; readonly name: string } | null;
  readonly groups: readonly string[];
  readonly disabled: boolean;
  readonly disabledAt: string | null;
  readonly createdAt: string;
  readonly lastSignInAt: string | null;
  /** Live credentials: tokens not revoked nor expired, SSH keys and app passwords not revoked. */
  readonly counts: { readonly tokens: number; readonly sshKeys: number; readonly appPasswords: number };
}

/** What disabling a user ended, as counted in the transaction that ended it. */
export interface DisableOutcome {
  readonly sessions: number;
  readonly tokens: number;
  readonly sshKeys: number;
  readonly appPasswords: number;
}

/** A change an administrator asks for; only what is given changes. */
export interface UserChange {
  readonly disabled?: boolean;
  readonly roles?: readonly Role[];
}

/** Who asks for a change: a signed-in administrator, or the operator's CLI (null). */
export type UserAdministrator = User | null;

/**
 * User administration, the same for the API and the CLI: the directory of users (search,
 * filters, pages), disabling (which ends every session, token, SSH key and app password in one
 * transaction, for good: enabling again brings none back), enabling, and the roles of local users.
 * An SSO user's roles come from their identity provider at each sign-in, so they are not set here.
 * Every change is audited in its transaction.
 */
@Injectable()
export class UserAdministration {
  constructor(
    private readonly db: Database,
    private readonly users: UsersRepository,
    private readonly identity: IdentityRepository,
    private readonly sessions: SessionsRepository,
    private readonly sshKeys: SshKeysRepository,
    private readonly appPasswords: AppPasswordsRepository,
    private readonly audit: AuditService,
    private readonly config: AppConfigService,
  ) {}

  /** One page of users in user-name order, and the cursor of the next page (null on the last). */
  async list(filter: UserListFilter): Promise<{ users: ManagedUser[]; next: string | null }> {
    // One more than asked tells whether another page follows.
    const rows = await this.users.list({ ...filter, limit: filter.limit + 1 });
    const page = rows.slice(0, filter.limit);
    return { users: page.map((r) => this.view(r)), next: rows.length > filter.limit ? page[page.length - 1]!.id : null };
  }

  async get(id: string): Promise<ManagedUser> {
    return this.view(await this.found(id));
  }

  /** The user named `username` (the CLI names users), or a 404. */
  async idOf(username: string): Promise<string> {
    const id = await this.users.idOf(username);
    if (!id) {
      throw new NotFoundError('user_not_found', `There is no user named ${JSON.stringify(username)}.`);
    }
    return id;
  }

  /** Applies `change` in one transaction: the roles first, then disabling or enabling. Answers the user as it now is. */
  async update(by: UserAdministrator, id: string, change: UserChange, ctx: AccessContext): Promise<ManagedUser> {
    return this.db.transaction(async () => {
      if (change.roles !== undefined) {
        await this.setRoles(id, change.roles, ctx);
      }
      if (change.disabled === true) {
        await this.disable(by, id, ctx);
      } else if (change.disabled === false) {
        await this.enable(id, ctx);
      }
      return this.get(id);
    });
  }

  /**
   * Disables the user and, in the same transaction, revokes their sessions, API tokens, SSH keys
   * and app passwords (open SFTP sessions are closed by the ingress's recheck). Their links keep
   * working. Refused for yourself and for the last enabled administrator. Disabling a disabled user
   * changes nothing.
   */
  async disable(by: UserAdministrator, id: string, ctx: AccessContext): Promise<DisableOutcome> {
    return this.db.transaction(async () => {
      const admins = await this.users.lockForChange(id);
      const user = await this.found(id);
      if (user.disabledAt) {
        return { sessions: 0, tokens: 0, sshKeys: 0, appPasswords: 0 };
      }
      if (by && by.id === id) {
        throw new ConflictError('cannot_disable_yourself', 'You cannot disable your own account. Ask another administrator.');
      }
      if (admins.includes(id) && admins.length === 1) {
        throw new ConflictError('last_admin', `${user.username} is the last enabled administrator: give someone else the admin role first.`);
      }
      await this.users.setDisabled(id, true);
      const ended: DisableOutcome = {
        sessions: await this.sessions.revokeAllOf(id),
        tokens: await this.identity.revokeAllTokensOf(id),
        sshKeys: await this.sshKeys.revokeAllOf(id),
        appPasswords: await this.appPasswords.revokeAllOf(id),
      };
      await this.audit.record(ctx, { type: 'user.disabled', details: { userId: id, username: user.username, ...ended } });
      return ended;
    });
  }

  /** Enables a disabled user again; what disabling revoked stays revoked. Enabling an enabled user changes nothing. */
  async enable(id: string, ctx: AccessContext): Promise<void> {
    await this.db.transaction(async () => {
      await this.users.lockForChange(id);
      const user = await this.found(id);
      if (!user.disabledAt) {
        return;
      }
      await this.users.setDisabled(id, false);
      await this.audit.record(ctx, { type: 'user.enabled', details: { userId: id, username: user.username } });
    });
  }

  /** Sets the roles of a local user (at once for every session and token of theirs). */
  async setRoles(id: string, roles: readonly Role[], ctx: AccessContext): Promise<void> {
    const next = ROLES.filter((r) => roles.includes(r));
    await this.db.transaction(async () => {
      const admins = await this.users.lockForChange(id);
      const user = await this.found(id);
      if (user.source !== 'local') {
        const idp = this.idpOf(user);
        throw new ConflictError(
          'roles_from_idp',
          `The roles of ${user.username} come from ${idp ? idp.name : 'their identity provider'} (their groups, mapped by ROLE_MAP) at each sign-in; change their groups there.`,
        );
      }
      const same = next.length === user.roles.length && next.every((r) => user.roles.includes(r));
      if (same) {
        return;
      }
      if (admins.includes(id) && admins.length === 1 && !next.includes('admin')) {
        throw new ConflictError('last_admin', `${user.username} is the last enabled administrator: give someone else the admin role first.`);
      }
      await this.users.setRoles(id, next);
      await this.audit.record(ctx, { type: 'user.roles_changed', details: { userId: id, username: user.username, from: user.roles, to: next } });
    });
  }

  /** Every token of one user (revoked ones included), newest first. */
  async tokensOf(id: string): Promise<OwnedApiTokenRecord[]> {
    await this.found(id);
    return this.identity.tokensOf(id);
  }

  /** One page of every user's live tokens, newest first, and the cursor of the next page. */
  async liveTokens(page: { limit: number; after: string | null }): Promise<{ tokens: OwnedApiTokenRecord[]; next: string | null }> {
    const rows = await this.identity.liveTokens({ limit: page.limit + 1, after: page.after });
    const tokens = rows.slice(0, page.limit);
    return { tokens, next: rows.length > page.limit ? tokens[tokens.length - 1]!.id : null };
  }

  /** Revokes anyone's live token; audited with its owner and who revoked it. */
  async revokeToken(by: User, tokenId: string, ctx: AccessContext): Promise<OwnedApiTokenRecord> {
    return this.db.transaction(async () => {
      const revoked = await this.identity.revokeAnyToken(tokenId);
      if (!revoked) {
        throw new NotFoundError('token_not_found', 'There is no live API token with this id.');
      }
      await this.audit.record(ctx, { type: 'token.revoked', details: { tokenId, username: revoked.owner.user, revokedBy: by.username } });
      return revoked;
    });
  }

  private async found(id: string): Promise<UserRecord> {
    const user = await this.users.find(id);
    if (!user) {
      throw new NotFoundError('user_not_found', 'There is no user with this id.');
    }
    return user;
  }

  private idpOf(r: UserRecord): { id: string; name: string } | null {
    if (!r.idp) {
      return null;
    }
    const [kind, providerId] = r.idp.split(':', 2) as [string, string | undefined];
    const auth = this.config.values.auth;
    const configured = kind === 'oidc' ? auth.oidc.find((p) => p.id === providerId) : kind === 'saml' ? auth.saml.find((p) => p.id === providerId) : undefined;
    return { id: r.idp, name: configured?.name ?? r.idp };
  }

  private view(r: UserRecord): ManagedUser {
    return {
      id: r.id,
      user: r.username,
      email: r.email,
      displayName: r.displayName,
      roles: r.roles,
      rolesFrom: r.source === 'local' ? 'local' : 'idp',
      idp: this.idpOf(r),
      groups: r.groups,
      disabled: r.disabledAt !== null,
      disabledAt: r.disabledAt?.toISOString() ?? null,
      createdAt: r.createdAt.toISOString(),
      lastSignInAt: r.lastSignInAt?.toISOString() ?? null,
      counts: { tokens: r.liveTokens, sshKeys: r.liveSshKeys, appPasswords: r.liveAppPasswords },
    };
  }
}
