import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditRepository, AuditService, type AccessContext } from '@mft/audit';
import { PreconditionFailedError, SystemClock } from '@mft/core';
import type { Database } from '@mft/db';
import { openTestDatabase } from '@mft/testing';
import { sampleDataOf } from './mail-template-catalogue.js';
import { MailTemplateRepository } from './mail-template.repository.js';
import { MailTemplateService } from './mail-template.service.js';
import { BuiltInMailTemplates, MailRenderer, TEMPLATE_VERSION_TTL_MS } from './mail-templates.js';

const ctx: AccessContext = { actor: 'user:admin', ip: '127.0.0.1', userAgent: null };
const data = sampleDataOf('verification-code');

describe(`${MailTemplateService.name} against a real database`, () => {
  let db: Database;
  let close: () => Promise<void>;
  let sut: MailTemplateService;
  /** This replica's renderer (the one the service tells about its changes), and another replica's. */
  let here: MailRenderer;
  let there: MailRenderer;
  let files: BuiltInMailTemplates;

  before(async () => {
    ({ db, close } = await openTestDatabase());
    files = BuiltInMailTemplates.load();
    here = new MailRenderer(new MailTemplateRepository(db), files);
    there = new MailRenderer(new MailTemplateRepository(db), files);
    sut = new MailTemplateService(db, new MailTemplateRepository(db), here, new AuditService(db, new AuditRepository(db), new SystemClock()));
  });
  after(async () => close());

  it('a save is used at once on its replica and within the version TTL on another', async () => {
    assert.match((await there.render('verification-code', data)).subject, /^Your code to open the files from Alice Martin$/);
    const saved = await sut.save('verification-code', { ...files.of('verification-code'), subject: 'Code {{code}} for {{senderName}}' }, ctx, 0);
    assert.equal(saved.version, 1);
    assert.deepEqual(saved.customisedParts, ['subject'], 'parts equal to the files are stored as the files');
    await new Promise((r) => setImmediate(r));
    assert.equal((await here.render('verification-code', data)).subject, 'Code 482913 for Alice Martin');
    assert.match((await there.render('verification-code', data)).subject, /^Your code/, 'the other replica still has its cached version');
    await new Promise((r) => setTimeout(r, TEMPLATE_VERSION_TTL_MS + 100));
    assert.equal((await there.render('verification-code', data)).subject, 'Code 482913 for Alice Martin');
  });

  it('of two saves based on the same version, one wins and the other is refused', async () => {
    const base = (await sut.get('verification-code')).version;
    const results = await Promise.allSettled(
      ['A', 'B'].map((who) => sut.save('verification-code', { ...files.of('verification-code'), subject: `From ${who}: {{code}}` }, ctx, base)),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(refused.reason instanceof PreconditionFailedError);
    assert.equal((await sut.get('verification-code')).version, base + 1);
  });

  it('saving what is in force makes no version; restore and reset each make one', async () => {
    const current = await sut.get('verification-code');
    const again = await sut.save('verification-code', { subject: current.subject, text: current.text, html: current.html }, ctx);
    assert.equal(again.version, current.version);
    const restored = await sut.restore('verification-code', 1, ctx);
    assert.equal(restored.version, current.version + 1);
    assert.equal(restored.subject, 'Code {{code}} for {{senderName}}');
    const reset = await sut.reset('verification-code', ctx);
    assert.equal(reset.version, current.version + 2);
    assert.equal(reset.customised, false);
    assert.equal((await sut.reset('verification-code', ctx)).version, reset.version, 'resetting the files again changes nothing');
    await new Promise((r) => setImmediate(r));
    assert.match((await here.render('verification-code', data)).subject, /^Your code/);
    assert.deepEqual(
      (await sut.versions('verification-code', 10, null)).map((v) => v.action),
      ['reset', 'restored', 'saved', 'saved'],
    );
  });
});
