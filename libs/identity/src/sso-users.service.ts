import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService, type AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { ConflictError, ForbiddenError } from '@mft/core';
import { Database } from '@mft/db';
import { IdentityRepository } from './identity.repository.js';
import { SessionService } from './session.service.js';
import { ROLES, type Role, type User } from './user.js';

/** What an identity provider said about a person, after its protocol checked the response. */
export interface SsoIdentity {
  /** `oidc:<id>` or `saml:<id>`. */
  readonly idp: string;
  /** The IdP's stable subject (OIDC `sub`, SAML NameID). */
  readonly subject: string;
  readonly username: string;
  readonly email: string | null;
  readonly displayName: string | null;
  readonly groups: readonly string[];
}

/**
 * Just-in-time provisioning: the first login creates the user; every login recomputes the roles
 * from the IdP's groups, so someone removed from the admin group loses admin at the next login,
 * and a role change ends the user's other sessions.
 */
@Injectable()
export class SsoUsersService {
  constructor(
    private readonly db: Database,
    private readonly repo: IdentityRepository,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
    private readonly config: AppConfigService,
  ) {}

  rolesFor(groups: readonly string[]): Role[] {
    const map = this.config.values.auth.roleMap;
    const mapped = new Set<Role>();
    for (const g of groups) {
      const role = map[g];
      if (role) {
        mapped.add(role);
      }
    }
    const roles = mapped.size > 0 ? [...mapped] : [...this.config.values.auth.defaultRoles];
    return ROLES.filter((r) => roles.includes(r));
  }

  async signIn(identity: SsoIdentity, ctx: AccessContext): Promise<User> {
    const roles = this.rolesFor(identity.groups);
    return this.db.transaction(async () => {
      const existing = (await this.repo.findUserBySubject(identity.idp, identity.subject)) ?? (await this.provision(identity, roles, ctx));
      if ('created' in existing) {
        return existing.created;
      }
      if (existing.disabled) {
        throw new ForbiddenError('user_disabled', 'This account is disabled on the gateway. Ask an administrator.');
      }
      const changed = existing.roles.length !== roles.length || existing.roles.some((r) => !roles.includes(r));
      await this.repo.updateSsoProfile(existing.id, identity.email, identity.displayName, roles, identity.groups);
      if (changed) {
        await this.sessions.endAllOf(existing.id);
        await this.audit.record(
          { ...ctx, actor: `user:${existing.username}` },
          { type: 'user.roles_changed', details: { username: existing.username, from: existing.roles, to: roles, idp: identity.idp } },
        );
      }
      return { id: existing.id, username: existing.username, email: identity.email, displayName: identity.displayName, roles };
    });
  }

  /**
   * The first sign-in: inserts the user under the first free name. An insert that clashes is either
   * the same person signing in at this moment in another request (their row is then the user) or a
   * name already taken (the next name is tried), never a unique-index error.
   */
  private async provision(identity: SsoIdentity, roles: Role[], ctx: AccessContext): Promise<{ created: User } | (User & { disabled: boolean })> {
    const base = identity.username.trim().toLowerCase().slice(0, 100) || 'user';
    const candidates = [...Array.from({ length: 100 }, (_, i) => (i === 0 ? base : `${base}-${i + 1}`)), `${base}-${randomUUID().slice(0, 8)}`];
    for (const username of candidates) {
      if (await this.repo.usernameTaken(username)) {
        continue;
      }
      const user: User = { id: randomUUID(), username, email: identity.email, displayName: identity.displayName, roles };
      if (await this.repo.insertSsoUser(user, identity.groups, identity.idp, identity.subject)) {
        await this.audit.record({ ...ctx, actor: `user:${user.username}` }, { type: 'user.created', details: { username: user.username, idp: identity.idp, roles } });
        return { created: user };
      }
      const concurrent = await this.repo.findUserBySubject(identity.idp, identity.subject);
      if (concurrent) {
        return concurrent;
      }
    }
    throw new ConflictError('username_unavailable', 'No user name could be found for this account. Ask an administrator.');
  }
}
