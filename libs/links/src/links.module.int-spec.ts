import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Global, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfigService, ConfigModule, loadConfig } from '@mft/config';
import { Clock, SystemClock } from '@mft/core';
import { DbModule } from '@mft/db';
import { IdentityModule, LocalAdminService, PasswordHasher } from '@mft/identity';
import { openTestDatabase } from '@mft/testing';
import { LinkService } from './link.service.js';
import { LinksModule } from './links.module.js';
import { RecipientAccessService } from './recipient-access.service.js';

describe(`${LinksModule.name} wiring`, () => {
  let close: () => Promise<void>;
  let app: INestApplicationContext;
  let dataDir: string;

  before(async () => {
    const opened = await openTestDatabase();
    close = opened.close;
    dataDir = mkdtempSync(join(tmpdir(), 'mft-wiring-'));
    const config = new AppConfigService(loadConfig({ DATA_DIR: dataDir }));

    @Global()
    @Module({
      imports: [ConfigModule.forRoot(config), DbModule.forRoot(opened.db)],
      providers: [{ provide: Clock, useClass: SystemClock }],
      exports: [ConfigModule, DbModule, Clock],
    })
    class TestPlatform {}
    @Module({ imports: [TestPlatform, LinksModule, IdentityModule] })
    class TestApp {}

    app = await NestFactory.createApplicationContext(TestApp, { logger: false });
  });
  after(async () => {
    await app?.close();
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('one PasswordHasher serves link passwords and local sign-in, so its argon2 concurrency cap is one cap for the process', () => {
    const hasherOf = (service: object): unknown => (service as { hasher?: unknown }).hasher;
    const shared = app.select(IdentityModule).get(PasswordHasher);
    assert.ok(shared instanceof PasswordHasher);
    assert.equal(hasherOf(app.get(LinkService)), shared);
    assert.equal(hasherOf(app.get(RecipientAccessService)), shared);
    assert.equal(hasherOf(app.get(LocalAdminService, { strict: false })), shared);
  });
});
