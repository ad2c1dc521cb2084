import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Global, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SYSTEM_CONTEXT } from '@mft/audit';
import { AppConfigService, ConfigModule, loadConfig } from '@mft/config';
import { Clock, SystemClock } from '@mft/core';
import { Database, DbModule } from '@mft/db';
import { IdentityModule, type Role, type User } from '@mft/identity';
import { openTestDatabase } from '@mft/testing';
import { LinkService } from '../link.service.js';
import { LinksModule } from '../links.module.js';
import { SendUploadService } from '../send-upload.service.js';
import { dropFolderLinkFields } from './drop-folder.js';
import { DropFolderService } from './drop-folder.service.js';

describe(DropFolderService.name, () => {
  let close: () => Promise<void>;
  let app: INestApplicationContext;
  let dataDir: string;
  let sut: DropFolderService;
  let db: Database;

  const user = async (username: string, roles: Role[], groups: string[] = []): Promise<User> => {
    const u: User = { id: randomUUID(), username, email: `${username}@corp.example`, displayName: null, roles };
    await db.query(`INSERT INTO users (id, username, email, roles, groups) VALUES ($1, $2, $3, $4::text[], $5::text[])`, [u.id, username, u.email, roles, groups]);
    return u;
  };

  before(async () => {
    const opened = await openTestDatabase();
    ({ db, close } = opened);
    dataDir = mkdtempSync(join(tmpdir(), 'mft-drop-folders-'));
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
    sut = app.get(DropFolderService);
  });
  after(async () => {
    await app?.close();
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds the folders of a user by role or group, and one of them by its name whatever its case', async () => {
    const admin = await user('df-admin', ['admin']);
    const manager = await user('df-max', ['manager']);
    const fin = await user('df-fin', ['employee'], ['finance']);
    await sut.create({ name: 'Board', recipients: ['board@x.example'], roles: ['manager'] }, admin, SYSTEM_CONTEXT);
    await sut.create({ name: 'Finance', recipients: ['f@x.example'], groups: ['finance'] }, admin, SYSTEM_CONTEXT);
    await sut.create({ name: 'Only admins', recipients: ['o@x.example'] }, admin, SYSTEM_CONTEXT);

    assert.deepEqual((await sut.forUser(manager, [])).map((f) => f.name), ['Board']);
    assert.deepEqual((await sut.forUser(fin, ['finance'])).map((f) => f.name), ['Finance']);
    assert.deepEqual((await sut.forUser(fin, [])).map((f) => f.name), [], 'the groups given are the ones that count');
    assert.deepEqual((await sut.forUser(admin, [])).map((f) => f.name), ['Board', 'Finance', 'Only admins']);

    assert.equal((await sut.byName(fin, ['finance'], 'FINANCE'))?.name, 'Finance');
    assert.equal(await sut.byName(fin, ['finance'], 'Board'), null, 'a folder of someone else is not found');
    assert.equal(await sut.byName(manager, [], 'Only admins'), null);
    assert.equal((await sut.byName(admin, [], 'only ADMINS'))?.name, 'Only admins');
    assert.equal(await sut.byName(admin, [], 'nothing'), null);
    assert.equal(await sut.byName(admin, [], '../Finance'), null, 'a name that is not one folder name finds nothing');
    assert.deepEqual((await sut.usableBy(fin)).map((f) => f.path), ['/drop/Finance/'], 'the stored groups of the user');
  });

  it('a drop into a folder becomes a send link to its recipients with its options, message and password', async () => {
    const admin = await user('df-admin2', ['admin']);
    const emp = await user('df-emp', ['employee']);
    await sut.create(
      { name: 'Payroll', recipients: ['hr@x.example', 'bank@y.example'], options: { oneTime: true, password: 'payroll-password-2026', notify: false }, message: 'Payroll run', roles: ['employee'] },
      admin,
      SYSTEM_CONTEXT,
    );
    const folder = (await sut.byName(emp, [], 'payroll'))!;
    assert.equal(folder.password?.reveal(), 'payroll-password-2026');
    assert.equal(JSON.stringify(folder).includes('payroll-password-2026'), false, 'the password is a Secret: redacted in JSON');

    const upload = app.get(SendUploadService).begin(emp, { actor: 'user:df-emp', ip: '127.0.0.1', userAgent: 'sftp' });
    await upload.addFile({ filename: 'run.csv', contentType: 'text/csv', stream: Readable.from([Buffer.from('a,b\n1,2\n')]) });
    const created = await upload.commit(dropFolderLinkFields(folder));
    assert.deepEqual(created.grants.map((g) => g.recipient).sort(), ['bank@y.example', 'hr@x.example']);
    const view = await app.get(LinkService).get(created.id, emp);
    assert.equal(view.oneTime, true);
    assert.equal(view.passwordProtected, true);
  });
});
