import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppConfigService, loadConfig } from '@mft/config';
import type { Database } from '@mft/db';
import { openTestDatabase } from '@mft/testing';
import { ConnectionsRepository } from './connections/connections.repository.js';
import { driverFactories, type DriverFactory } from './connections/driver-factories.js';
import { LocalDriver } from './drivers/local.driver.js';
import { StorageService, type ConnectionView } from './storage.service.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+SERVICE-SECRET';

/**
 * The registry with the S3 factory pointed at a real local folder, recording what it is given: the
 * secrets must go in sealed, come out only to the factory, and never in a view.
 */
describe(`${StorageService.name} against a real database`, () => {
  let db: Database;
  let close: () => Promise<void>;
  let sut: StorageService;
  let dataDir: string;
  let folder: string;
  const given: Array<Record<string, unknown>> = [];
  const original = driverFactories.s3;

  before(async () => {
    ({ db, close } = await openTestDatabase());
    dataDir = mkdtempSync(join(tmpdir(), 'mft-reg-data-'));
    folder = mkdtempSync(join(tmpdir(), 'mft-reg-s3-'));
    const config = new AppConfigService(loadConfig({ DATA_DIR: dataDir, SECRET_KEY: 's'.repeat(40) }));
    sut = new StorageService(config, new ConnectionsRepository(db), db);
    driverFactories.s3 = {
      create: ({ settings, secrets }) => {
        given.push({ ...settings, ...secrets });
        return new LocalDriver(folder);
      },
    } satisfies DriverFactory<'s3'>;
  });
  after(async () => {
    driverFactories.s3 = original;
    await close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(folder, { recursive: true, force: true });
  });

  const noHook = async (): Promise<void> => undefined;

  it('creates a connection with secrets: they reach the driver, never a view, and the database holds them sealed', async () => {
    let hooked: ConnectionView | null = null;
    const view = await sut.create(
      { name: 'Bucket', kind: 's3', settings: { bucket: 'files', region: 'eu-west-1', endpoint: 'http://203.0.113.9:9000' }, secrets: { accessKeyId: 'AKIA1', secretAccessKey: SECRET } },
      'alice',
      async (v) => {
        hooked = v;
      },
    );
    assert.equal(view.hasSecrets, true);
    assert.deepEqual(hooked, view);
    for (const shown of [view, await sut.get(view.id), await sut.list()]) {
      assert.ok(!JSON.stringify(shown).includes(SECRET) && !JSON.stringify(shown).includes('AKIA1'));
    }
    const [raw] = await db.query<{ t: string }>(`SELECT row_to_json(c)::text AS t FROM storage_connections c WHERE id = $1`, [view.id]);
    assert.ok(!raw!.t.includes(SECRET));
    given.length = 0;
    await sut.driver(view.id);
    assert.equal(given.length, 1, 'the driver is built once for this revision');
    assert.equal(given[0]!.secretAccessKey, SECRET);
    await sut.driver(view.id);
    assert.equal(given.length, 1, 'and then served from the cache');
  });

  it('a change of settings keeps the secrets and rebuilds the driver; a change of secrets replaces them', async () => {
    const [c] = (await sut.list()).filter((v) => v.kind === 's3');
    await sut.update(c!.id, { settings: { bucket: 'files2', region: 'eu-west-1', endpoint: 'http://203.0.113.9:9000' } }, async ({ changed }) => assert.deepEqual(changed, ['settings']));
    given.length = 0;
    await sut.driver(c!.id);
    assert.equal(given[0]!.bucket, 'files2');
    assert.equal(given[0]!.secretAccessKey, SECRET);
    await sut.update(c!.id, { secrets: { accessKeyId: 'AKIA2', secretAccessKey: 'rotated-by-admin' } }, async ({ changed }) => assert.deepEqual(changed, ['secrets']));
    given.length = 0;
    await sut.driver(c!.id);
    assert.equal(given[0]!.accessKeyId, 'AKIA2');
  });

  it('after secrets rotate, a fresh registry (another replica) still opens them', async () => {
    const [c] = (await sut.list()).filter((v) => v.kind === 's3');
    const result = await sut.rotateSecrets();
    assert.equal(result.resealed, 1);
    const replica = new StorageService(new AppConfigService(loadConfig({ DATA_DIR: dataDir, SECRET_KEY: 's'.repeat(40) })), new ConnectionsRepository(db), db);
    given.length = 0;
    await replica.driver(c!.id);
    assert.equal(given[0]!.secretAccessKey, 'rotated-by-admin');
  });

  it('refuses an endpoint on a metadata address at creation and again when tested', async () => {
    await assert.rejects(
      sut.create({ name: 'Meta', kind: 's3', settings: { bucket: 'files', region: 'eu-west-1', endpoint: 'http://169.254.169.254', allowLoopback: true }, secrets: { accessKeyId: 'a', secretAccessKey: 'b' } }, 'alice', noHook),
      (err: unknown) => (err as { code?: string; details?: { field?: string } }).code === 'connection_address_refused' && (err as { details: { field: string } }).details.field === 'settings.endpoint',
    );
    const [c] = (await sut.list()).filter((v) => v.kind === 's3');
    // The stored endpoint is changed behind the API's back; the test reports the refusal.
    await db.query(`UPDATE storage_connections SET settings = jsonb_set(settings, '{endpoint}', '"http://[::ffff:169.254.169.254]"'), revision = revision + 1 WHERE id = $1`, [c!.id]);
    const result = await sut.test(c!.id, noHook);
    assert.equal(result.ok, false);
    assert.match(result.message, /address refused/);
    await assert.rejects(sut.driver(c!.id), /address refused|unavailable/);
  });
});
