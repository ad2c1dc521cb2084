import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AuditRepository, AuditService, SYSTEM_CONTEXT } from '@mft/audit';
import { AppConfigService, loadConfig } from '@mft/config';
import { hashToken, SystemClock } from '@mft/core';
import type { Database } from '@mft/db';
import { openTestDatabase } from '@mft/testing';
import { CsrfTokens } from './csrf-tokens.js';
import { IdentityRepository } from './identity.repository.js';
import { SessionService } from './session.service.js';
import { SessionsRepository } from './sessions.repository.js';
import { SsoUsersService, type SsoIdentity } from './sso-users.service.js';
import { TokenService } from './token.service.js';

describe('identity against a real database', () => {
  let db: Database;
  let close: () => Promise<void>;
  let repo: IdentityRepository;
  let sso: SsoUsersService;
  let tokens: TokenService;

  before(async () => {
    ({ db, close } = await openTestDatabase());
    const config = new AppConfigService(loadConfig({}));
    const clock = new SystemClock();
    const audit = new AuditService(db, new AuditRepository(db), clock);
    repo = new IdentityRepository(db);
    sso = new SsoUsersService(db, repo, new SessionService(new SessionsRepository(db), audit, config, new CsrfTokens(config)), audit, config);
    tokens = new TokenService(db, repo, audit, clock);
  });
  after(async () => close());

  const identity = (subject: string, username: string): SsoIdentity => ({ idp: 'oidc:test', subject, username, email: `${username}@corp.example`, displayName: username, groups: [] });

  describe(SsoUsersService.name, () => {
    it('two first sign-ins of one person at the same moment both succeed, as one user created once', async () => {
      const who = identity(randomUUID(), `twin-${randomUUID().slice(0, 8)}`);
      const [a, b, c] = await Promise.all([sso.signIn(who, SYSTEM_CONTEXT), sso.signIn(who, SYSTEM_CONTEXT), sso.signIn(who, SYSTEM_CONTEXT)]);
      assert.equal(a.id, b.id);
      assert.equal(a.id, c.id);
      assert.equal(a.username, who.username);
      const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE idp = $1 AND subject = $2', [who.idp, who.subject]);
      assert.equal(rows[0]!.n, 1);
      const created = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'user.created' AND details->>'username' = $1`, [who.username]);
      assert.equal(created[0]!.n, 1);
    });

    it('a user name held by a disabled user is not reused: the newcomer gets the next free name', async () => {
      const name = `gone-${randomUUID().slice(0, 8)}`;
      await db.query(`INSERT INTO users (id, username, roles, disabled_at) VALUES ($1, $2, '{employee}', now())`, [randomUUID(), name]);
      const user = await sso.signIn(identity(randomUUID(), name), SYSTEM_CONTEXT);
      assert.equal(user.username, `${name}-2`);
    });

    it('two different people wanting the same free name at once both sign in, under different names', async () => {
      const name = `same-${randomUUID().slice(0, 8)}`;
      const [a, b] = await Promise.all([sso.signIn(identity(randomUUID(), name), SYSTEM_CONTEXT), sso.signIn(identity(randomUUID(), name), SYSTEM_CONTEXT)]);
      assert.notEqual(a.id, b.id);
      assert.deepEqual([a.username, b.username].sort(), [name, `${name}-2`]);
    });
  });

  describe(TokenService.name, () => {
    it('a token authenticates only by its whole hash: a stored hash that shares all but its last characters, or only a prefix, does not match', async () => {
      const userId = randomUUID();
      await db.query(`INSERT INTO users (id, username, roles) VALUES ($1, $2, '{employee}')`, [userId, `tok-${userId.slice(0, 8)}`]);
      const probe = `mft_${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}`;
      const full = hashToken(probe).toString('hex');
      const flip = (c: string): string => (c === '0' ? '1' : '0');
      const nearMisses = [full.slice(0, -1) + flip(full.at(-1)!), full.slice(0, -8) + full.slice(-8).split('').map(flip).join(''), full.slice(0, 32), full.slice(0, 8)];
      for (const tokenHash of nearMisses) {
        await repo.insertToken({ id: randomUUID(), userId, name: 'near miss', tokenHash, scopes: ['links:read'], expiresAt: null });
      }
      assert.equal(await tokens.authenticate(probe), null);
      await repo.insertToken({ id: randomUUID(), userId, name: 'exact', tokenHash: full, scopes: ['links:read'], expiresAt: null });
      assert.equal((await tokens.authenticate(probe))?.user.id, userId);
    });

    it('a token differing from a real one in its last character, or cut short, is refused', async () => {
      const created = await tokens.create({ username: 'admin', name: 'real' }, SYSTEM_CONTEXT);
      assert.equal((await tokens.authenticate(created.token))?.user.username, 'admin');
      const last = created.token.at(-1)!;
      assert.equal(await tokens.authenticate(created.token.slice(0, -1) + (last === 'A' ? 'B' : 'A')), null);
      assert.equal(await tokens.authenticate(created.token.slice(0, -1)), null);
      assert.equal(await tokens.authenticate(`${created.token}x`), null);
    });
  });
});
