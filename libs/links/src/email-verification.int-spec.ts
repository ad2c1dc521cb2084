import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Global, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { simpleParser } from 'mailparser';
import { SYSTEM_CONTEXT } from '@mft/audit';
import { AppConfigService, ConfigModule, loadConfig } from '@mft/config';
import { Clock, DomainError, hashToken, randomToken } from '@mft/core';
import { DbModule, type Database } from '@mft/db';
import { eventually, openTestDatabase } from '@mft/testing';
import { EmailVerificationService } from './email-verification.service.js';
import { LinkMaintenanceService } from './link-maintenance.service.js';
import { LinksModule } from './links.module.js';
import type { RecipientRequest } from './recipient-access.service.js';
import { GrantRepository } from './repositories/grant.repository.js';
import { LinkRepository } from './repositories/link.repository.js';

class MovableClock extends Clock {
  #t = Date.now();
  now(): Date {
    return new Date(this.#t);
  }
  advance(ms: number): void {
    this.#t += ms;
  }
}

const failure = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DomainError, String(err));
    return err.code;
  }
  return 'accepted';
};

/**
 * Code lifetime with an injected clock, and the embedded mail default: with no SMTP server, the
 * code arrives as an .eml file in the outbox, from which this test reads it.
 */
describe('email verification codes with an injected clock (embedded outbox mail)', () => {
  let db: Database;
  let close: () => Promise<void>;
  let app: INestApplicationContext;
  let dataDir: string;
  let sut: EmailVerificationService;
  let links: LinkRepository;
  let grants: GrantRepository;
  const clock = new MovableClock();

  before(async () => {
    ({ db, close } = await openTestDatabase());
    dataDir = mkdtempSync(join(tmpdir(), 'mft-ev-'));
    const config = new AppConfigService(loadConfig({ DATA_DIR: dataDir, MAIL_POLL_SECONDS: '0.2' }));

    @Global()
    @Module({
      imports: [ConfigModule.forRoot(config), DbModule.forRoot(db)],
      providers: [{ provide: Clock, useValue: clock }],
      exports: [ConfigModule, DbModule, Clock],
    })
    class TestPlatform {}
    @Module({ imports: [TestPlatform, LinksModule] })
    class TestApp {}

    app = await NestFactory.createApplicationContext(TestApp, { logger: false });
    sut = app.get(EmailVerificationService);
    links = app.get(LinkRepository);
    grants = app.get(GrantRepository);
  });
  after(async () => {
    await app?.close();
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function grantFor(recipient: string): Promise<string> {
    const ownerId = randomUUID();
    await db.query(`INSERT INTO users (id, username, display_name, roles) VALUES ($1, $2, 'Olga Owner', '{employee}')`, [ownerId, `u-${ownerId}`]);
    const linkId = randomUUID();
    await links.insertLink({
      id: linkId,
      kind: 'send',
      ownerId,
      storageConnection: 'default',
      oneTime: false,
      maxDownloads: null,
      expiresAt: new Date(clock.now().getTime() + 30 * 86_400_000),
      passwordHash: null,
      requireEmailVerification: true,
      message: null,
      emailRecipients: false,
      notifyOnDownload: false,
    });
    const token = randomToken(32);
    await grants.insertGrant({ id: randomUUID(), linkId, tokenHash: hashToken(token).toString('hex'), recipient });
    return token;
  }

  const request = (token: string, session: string): RecipientRequest => ({ token, session, ctx: { ...SYSTEM_CONTEXT, actor: 'recipient', ip: '192.0.2.7' } });

  /** The code in the newest outbox message to `to`. */
  async function codeFromOutbox(to: string, count: number): Promise<string> {
    const outbox = join(dataDir, 'outbox');
    const files = await eventually(
      `${count} outbox message(s) to ${to}`,
      async () => {
        const names = (() => {
          try {
            return readdirSync(outbox).filter((f) => f.endsWith('.eml')).sort();
          } catch {
            return [];
          }
        })();
        const mails = await Promise.all(names.map(async (n) => ({ n, mail: await simpleParser(createReadStream(join(outbox, n))) })));
        return mails.filter((m) => m.mail.text?.includes('Your code') && JSON.stringify(m.mail.to).includes(to));
      },
      (found) => found.length >= count,
    );
    const newest = files.at(-1)!;
    assert.equal(statSync(join(outbox, newest.n)).mode & 0o777, 0o600, 'outbox files are readable by the gateway only');
    assert.match(newest.mail.subject ?? '', /Your code to open the files from Olga Owner/);
    return /^\s+(\d{6})\s*$/m.exec(newest.mail.text!)![1]!;
  }

  it('a code is accepted until ten minutes have passed, and refused from then on', async () => {
    const token = await grantFor('pia@partner.example');
    const session = randomToken(32);
    await sut.requestCode(request(token, session), 'pia@partner.example');
    const code = await codeFromOutbox('pia@partner.example', 1);
    clock.advance(10 * 60_000);
    assert.equal(await failure(sut.verifyCode(request(token, session), code)), 'email_code_expired');

    await sut.requestCode(request(token, session), 'pia@partner.example');
    const fresh = await codeFromOutbox('pia@partner.example', 2);
    clock.advance(10 * 60_000 - 1_000);
    const verified = await sut.verifyCode(request(token, session), fresh);
    assert.equal(verified.email, 'pia@partner.example');
    assert.notEqual(verified.session, session, 'a verification moves the browser session to a new id');
    assert.equal(await failure(sut.verifyCode(request(token, verified.session), fresh)), 'email_code_used');
    assert.equal(await failure(sut.verifyCode(request(token, session), fresh)), 'email_code_not_requested', 'the old id keeps nothing');
  });

  it('a code issued to one session does not verify another session of the same link', async () => {
    const token = await grantFor('quinn@partner.example');
    const [a, b] = [randomToken(32), randomToken(32)];
    await sut.requestCode(request(token, a), 'quinn@partner.example');
    const code = await codeFromOutbox('quinn@partner.example', 1);
    assert.equal(await failure(sut.verifyCode(request(token, b), code)), 'email_code_not_requested');
    assert.equal((await sut.verifyCode(request(token, a), code)).email, 'quinn@partner.example');
  });

  it('the maintenance sweep forgets finished messages after mail.retentionDays (30) and challenges older than any session; newer and unsent ones stay', async () => {
    const recipient = 'rosa@partner.example';
    const token = await grantFor(recipient);
    await sut.requestCode(request(token, randomToken(32)), recipient);
    await codeFromOutbox(recipient, 1);
    const [grant] = await db.query<{ id: string }>(`SELECT id FROM grants WHERE recipient = $1`, [recipient]);
    const sent = async (): Promise<Array<{ status: string }>> => db.query(`SELECT status FROM mail_queue WHERE to_address = $1`, [recipient]);
    await eventually('the code marked sent', sent, (rows) => rows.length === 1 && rows[0]!.status === 'sent');

    // A fresh message and challenge for another grant, and a message that has waited 40 days without being sent.
    const other = 'sami@partner.example';
    const otherToken = await grantFor(other);
    await sut.requestCode(request(otherToken, randomToken(32)), other);
    const stuck = randomUUID();
    await db.query(
      `INSERT INTO mail_queue (id, template, to_address, payload, status, message_id, created_at, next_attempt_at)
       VALUES ($1, 'verification-code', 'stuck@partner.example', 'sealed', 'queued', $2, now() - interval '40 days', now() + interval '1 day')`,
      [stuck, `<${stuck}@test>`],
    );

    const count = async (sql: string, params: unknown[]): Promise<number> => Number((await db.query<{ n: string }>(sql, params))[0]!.n);
    const challenges = (grantId: string): Promise<number> => count(`SELECT count(*) AS n FROM email_challenges WHERE grant_id = $1`, [grantId]);
    const mails = (to: string): Promise<number> => count(`SELECT count(*) AS n FROM mail_queue WHERE to_address = $1`, [to]);
    const maintenance = app.get(LinkMaintenanceService);

    await db.query(`UPDATE mail_queue SET created_at = now() - interval '29 days', sent_at = now() - interval '29 days' WHERE to_address = $1`, [recipient]);
    await db.query(`UPDATE email_challenges SET issued_at = now() - interval '29 days' WHERE grant_id = $1`, [grant!.id]);
    await maintenance.sweep();
    assert.equal(await mails(recipient), 1, 'kept within the retention period');
    assert.equal(await challenges(grant!.id), 1);

    await db.query(`UPDATE mail_queue SET created_at = now() - interval '31 days', sent_at = now() - interval '31 days' WHERE to_address = $1`, [recipient]);
    await db.query(`UPDATE email_challenges SET issued_at = now() - interval '31 days' WHERE grant_id = $1`, [grant!.id]);
    await maintenance.sweep();
    assert.equal(await mails(recipient), 0, 'the sent code is forgotten');
    assert.equal(await challenges(grant!.id), 0, 'the old challenge is forgotten');
    assert.equal(await mails(other), 1, 'a recent message stays');
    assert.equal(await mails('stuck@partner.example'), 1, 'a message not sent yet is never dropped, however old');
    await db.query(`DELETE FROM mail_queue WHERE id = $1`, [stuck]);
  });
});
