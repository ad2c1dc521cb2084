import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Database } from '@mft/db';
import { openTestDatabase } from '@mft/testing';
import { SessionsRepository } from './sessions.repository.js';

describe(`${SessionsRepository.name} against a real database`, () => {
  let db: Database;
  let close: () => Promise<void>;
  let sut: SessionsRepository;
  let userId: string;

  before(async () => {
    ({ db, close } = await openTestDatabase());
    sut = new SessionsRepository(db);
    userId = randomUUID();
    await db.query(`INSERT INTO users (id, username, roles) VALUES ($1, 'sess-user', '{employee}')`, [userId]);
  });
  after(async () => close());

  async function newSession(absoluteSeconds = 3600): Promise<string> {
    const idHash = randomUUID();
    await sut.insert({ idHash, userId, method: 'local', stage: 'full', absoluteSeconds, ip: null, userAgent: null });
    return idHash;
  }

  it('a live session is found and touched', async () => {
    const id = await newSession();
    assert.equal((await sut.touch(id, 1800))?.username, 'sess-user');
  });

  it('a session unused for longer than the idle timeout has ended', async () => {
    const id = await newSession();
    await db.query(`UPDATE user_sessions SET last_seen_at = now() - interval '31 minutes' WHERE id_hash = $1`, [id]);
    assert.equal(await sut.touch(id, 1800), null);
  });

  it('a session past its absolute lifetime has ended, however active', async () => {
    const id = await newSession();
    await db.query(`UPDATE user_sessions SET expires_at = now() - interval '1 second' WHERE id_hash = $1`, [id]);
    assert.equal(await sut.touch(id, 1800), null);
  });

  it('revoking all of a user\'s sessions ends every one of them', async () => {
    const a = await newSession();
    const b = await newSession();
    assert.ok((await sut.revokeAllOf(userId)) >= 2);
    assert.equal(await sut.touch(a, 1800), null);
    assert.equal(await sut.touch(b, 1800), null);
  });

  it('an SSO round trip can be taken once only', async () => {
    const id = randomUUID();
    await sut.insertFlow({ idHash: id, kind: 'oidc', provider: 'oidc', state: 's', nonce: 'n', codeVerifier: 'v', returnTo: null, ttlSeconds: 600 });
    assert.equal((await sut.takeFlow(id, 'oidc'))?.state, 's');
    assert.equal(await sut.takeFlow(id, 'oidc'), null);
  });
});
