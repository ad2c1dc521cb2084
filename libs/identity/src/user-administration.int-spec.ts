import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AuditRepository, AuditService, SYSTEM_CONTEXT } from '@mft/audit';
import { AppConfigService, loadConfig } from '@mft/config';
import { isDomainError, SystemClock } from '@mft/core';
import type { Database } from '@mft/db';
import { openTestDatabase } from '@mft/testing';
import { AppPasswordsRepository } from './app-passwords.repository.js';
import { IdentityRepository } from './identity.repository.js';
import { SessionsRepository } from './sessions.repository.js';
import { SshKeysRepository } from './ssh-keys.repository.js';
import { UserAdministration } from './user-administration.service.js';
import type { Role, User } from './user.js';
import { UsersRepository } from './users.repository.js';

describe(UserAdministration.name, () => {
  let db: Database;
  let close: () => Promise<void>;
  let identity: IdentityRepository;
  let sessions: SessionsRepository;
  let sut: UserAdministration;

  before(async () => {
    ({ db, close } = await openTestDatabase());
    const config = new AppConfigService(loadConfig({}));
    const audit = new AuditService(db, new AuditRepository(db), new SystemClock());
    identity = new IdentityRepository(db);
    sessions = new SessionsRepository(db);
    sut = new UserAdministration(db, new UsersRepository(db), identity, sessions, new SshKeysRepository(db), new AppPasswordsRepository(db), audit, config);
  });
  after(async () => close());

  async function localUser(prefix: string, roles: Role[]): Promise<User> {
    const user: User = { id: randomUUID(), username: `${prefix}-${randomUUID().slice(0, 8)}`, email: null, displayName: null, roles };
    assert.ok(await identity.insertUser(user, 'local'));
    return user;
  }

  const codeOf = (err: unknown): string | null => (isDomainError(err) ? err.code : null);

  it('two administrators disabling each other at the same moment: one succeeds, the other is refused as the last administrator', async () => {
    // Any other enabled administrators of this database are taken out of the way first.
    await db.query(`UPDATE users SET disabled_at = now() WHERE 'admin' = ANY(roles)`);
    const [a, b] = [await localUser('a', ['admin']), await localUser('b', ['admin'])];
    const results = await Promise.allSettled([sut.disable(a, b.id, SYSTEM_CONTEXT), sut.disable(b, a.id, SYSTEM_CONTEXT)]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results));
    const refused = results.find((r) => r.status === 'rejected');
    assert.equal(codeOf(refused?.reason), 'last_admin');
    const enabled = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE id = ANY($1::uuid[]) AND disabled_at IS NULL`, [[a.id, b.id]]);
    assert.equal(enabled[0]!.n, 1, 'one administrator is left');
  });

  it('disabling revokes sessions and tokens in its transaction and counts them; enabling brings none back', async () => {
    const u = await localUser('c', ['employee']);
    await sessions.insert({ idHash: randomUUID(), userId: u.id, method: 'test', stage: 'full', absoluteSeconds: 600, ip: null, userAgent: null });
    await identity.insertToken({ id: randomUUID(), userId: u.id, name: 'live', tokenHash: randomUUID(), scopes: ['admin'], expiresAt: null });
    await identity.insertToken({ id: randomUUID(), userId: u.id, name: 'expired', tokenHash: randomUUID(), scopes: ['admin'], expiresAt: new Date(Date.now() - 1000) });
    assert.deepEqual((await sut.get(u.id)).counts, { tokens: 1, sshKeys: 0, appPasswords: 0 }, 'an expired token is not live');
    assert.deepEqual(await sut.disable(null, u.id, SYSTEM_CONTEXT), { sessions: 1, tokens: 1, sshKeys: 0, appPasswords: 0 });
    await sut.enable(u.id, SYSTEM_CONTEXT);
    const tokens = await sut.tokensOf(u.id);
    assert.equal(tokens.length, 2);
    assert.ok(tokens.every((t) => t.revokedAt !== null), 'every token stays revoked');
    assert.equal((await db.query(`SELECT 1 FROM user_sessions WHERE user_id = $1 AND revoked_at IS NULL`, [u.id])).length, 0);
  });

  it('refuses the roles of an SSO user and of nobody; keeps role order', async () => {
    const sso: User = { id: randomUUID(), username: `sso-${randomUUID().slice(0, 8)}`, email: null, displayName: null, roles: ['employee'] };
    assert.ok(await identity.insertSsoUser(sso, [], 'saml:corp', randomUUID()));
    await assert.rejects(sut.setRoles(sso.id, ['admin'], SYSTEM_CONTEXT), (err) => codeOf(err) === 'roles_from_idp');
    assert.deepEqual((await sut.get(sso.id)).idp, { id: 'saml:corp', name: 'saml:corp' }, 'an unconfigured provider is named by its id');
    await assert.rejects(sut.get(randomUUID()), (err) => codeOf(err) === 'user_not_found');
    const local = await localUser('d', ['employee']);
    await sut.setRoles(local.id, ['external', 'manager'], SYSTEM_CONTEXT);
    assert.deepEqual((await sut.get(local.id)).roles, ['manager', 'external']);
  });
});
