import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from '@mft/db';
import { openTestDatabase } from '@mft/testing';
import { ConnectionsRepository } from './connections.repository.js';
import { SecretKeyring, SecretUnreadableError } from './secret-keyring.js';

const MASTER = 'k'.repeat(48);
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe(`${SecretKeyring.name} against a real database`, () => {
  let db: Database;
  let close: () => Promise<void>;
  let repo: ConnectionsRepository;
  let sut: SecretKeyring;

  before(async () => {
    ({ db, close } = await openTestDatabase());
    repo = new ConnectionsRepository(db);
    sut = new SecretKeyring(MASTER, db, repo);
  });
  after(async () => close());

  const store = async (id: string, name: string, secrets: Record<string, string>): Promise<void> => {
    await db.transaction(async () => {
      const { sealed, keyId } = await sut.seal(id, secrets);
      await repo.insert({ id, name, kind: 's3', settings: { bucket: 'b', region: 'r' }, sealed, keyId, createdBy: 'test' });
    });
  };

  it('stores no secret in the clear: not in the sealed bytes, not in any column, not in the keyring', async () => {
    await store('c-one', 'One', { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET });
    const [row] = await db.query<Record<string, unknown>>(`SELECT encode(secrets_sealed, 'escape') AS sealed, encode(secrets_sealed, 'hex') AS hex, row_to_json(c)::text AS everything FROM storage_connections c WHERE id = 'c-one'`);
    const [keys] = await db.query<{ all: string }>(`SELECT string_agg(encode(wrapped, 'hex'), ',') AS all FROM secret_keys`);
    for (const haystack of [String(row!.sealed), String(row!.everything), keys!.all]) {
      assert.ok(!haystack.includes(SECRET) && !haystack.includes('AKIAEXAMPLE'), 'no secret in the clear');
    }
    assert.ok(!String(row!.hex).includes(Buffer.from(SECRET).toString('hex')));
    const found = await repo.find('c-one');
    assert.deepEqual(await sut.open('c-one', found!.sealed!, found!.keyId!), { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET });
  });

  it('refuses a tampered value, a value moved to another connection, and another SECRET_KEY', async () => {
    const row = (await repo.find('c-one'))!;
    for (const i of [0, 5, 20, row.sealed!.length - 1]) {
      const tampered = Buffer.from(row.sealed!);
      tampered[i] = tampered[i]! ^ 0x01;
      await assert.rejects(sut.open('c-one', tampered, row.keyId!), SecretUnreadableError);
    }
    await assert.rejects(sut.open('c-other', row.sealed!, row.keyId!), SecretUnreadableError);
    await assert.rejects(new SecretKeyring('x'.repeat(48), db, repo).open('c-one', row.sealed!, row.keyId!), SecretUnreadableError);
  });

  it('rotate re-seals every secret under a new key, deletes the old one, and the secrets still open', async () => {
    await store('c-two', 'Two', { password: 'correct horse battery staple' });
    const before1 = (await repo.find('c-one'))!;
    const before2 = (await repo.find('c-two'))!;
    const oldKeys = await repo.keyIds();
    const result = await sut.rotate();
    assert.equal(result.resealed, 2);
    assert.ok(result.retiredKeys >= 1);
    assert.deepEqual(await repo.keyIds(), [result.keyId]);
    assert.ok(!oldKeys.includes(result.keyId));
    const after1 = (await repo.find('c-one'))!;
    const after2 = (await repo.find('c-two'))!;
    assert.equal(after1.keyId, result.keyId);
    assert.notDeepEqual(after1.sealed, before1.sealed);
    // A fresh process (no cached keys) opens the re-sealed values, and nothing opens the old ones.
    const fresh = new SecretKeyring(MASTER, db, repo);
    assert.equal((await fresh.open('c-one', after1.sealed!, after1.keyId!)).secretAccessKey, SECRET);
    assert.equal((await fresh.open('c-two', after2.sealed!, after2.keyId!)).password, 'correct horse battery staple');
    await assert.rejects(fresh.open('c-two', before2.sealed!, before2.keyId!), SecretUnreadableError);
  });

  it('seals while a rotation runs without losing a value (the keyring is locked during the rotation)', async () => {
    await Promise.all([sut.rotate(), store('c-three', 'Three', { password: 'p1' }), store('c-four', 'Four', { password: 'p2' }), sut.rotate()]);
    const fresh = new SecretKeyring(MASTER, db, repo);
    for (const [id, pw] of [['c-three', 'p1'], ['c-four', 'p2']] as const) {
      const row = (await repo.find(id))!;
      assert.equal((await fresh.open(id, row.sealed!, row.keyId!)).password, pw);
    }
  });
});
