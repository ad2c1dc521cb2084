import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError, Secret } from '@mft/core';
import { dropFolderLinkFields, dropFolderNameProblem, mayUseDropFolder, parseDropFolderBody } from './drop-folder.js';
import { parseCreateSendLink } from '../create-send-link.command.js';

const refusal = (body: unknown, partial = false): InvalidInputError => {
  try {
    parseDropFolderBody(body, partial);
  } catch (err) {
    assert.ok(err instanceof InvalidInputError, String(err));
    assert.equal(err.code, 'drop_folder_invalid');
    return err;
  }
  assert.fail('accepted');
};

describe(dropFolderNameProblem.name, () => {
  it('takes one plain folder name', () => {
    for (const ok of ['Finance', 'finance reports 2026', 'a', 'x.y_z-1', 'a'.repeat(64), 'a..b']) {
      assert.equal(dropFolderNameProblem(ok), null, ok);
    }
  });
  it('refuses what is not one safe path segment, saying why', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      ['.', /"\." or "\.\."/],
      ['..', /"\." or "\.\."/],
      ['a/b', /without "\/"/],
      ['a\\b', /without "\/"/],
      ['a\u0000b', /control characters/],
      ['a\nb', /control characters/],
      ['a\u0085b', /control characters/],
      [' a', /start or end/],
      ['a ', /start or end/],
      ['.hidden', /start or end/],
      ['a.', /start or end/],
      ['caf\u00e9', /only the letters/],
      ['a:b', /only the letters/],
      ['a'.repeat(65), /at most 64/],
    ];
    for (const [name, why] of cases) {
      assert.match(dropFolderNameProblem(name) ?? 'accepted', why, JSON.stringify(name));
    }
  });
});

describe(parseDropFolderBody.name, () => {
  it('reads a folder, its recipients (each once) and options in the canonical form the link parser reads back', () => {
    const input = parseDropFolderBody(
      { name: 'Finance', recipients: [' a@x.example', 'A@x.example', 'b@y.example'], options: { oneTime: 'true', maxDownloads: 'unlimited', expiresAt: '2030-01-01T00:00:00+01:00', password: 'correct horse battery' }, roles: ['employee', 'employee'], groups: ['finance'] },
      false,
    );
    assert.deepEqual(input.recipients, ['a@x.example', 'b@y.example']);
    assert.deepEqual(input.options, { oneTime: true, maxDownloads: 'unlimited', expiresAt: '2029-12-31T23:00:00.000Z' });
    assert.equal(input.password, 'correct horse battery');
    assert.deepEqual(input.roles, ['employee']);
    assert.equal(input.message, undefined);
    const again = parseCreateSendLink(input.options!);
    assert.equal(again.oneTime, true);
    assert.equal(again.maxDownloads, null);
  });
  it('names each bad field, options through the send-link parser', () => {
    const err = refusal({ name: '..', recipients: ['not-an-email'], options: { maxDownloads: 0, colour: 'red' }, roles: ['root'] });
    for (const field of ['name', 'recipients.0', 'options.maxDownloads', 'roles.0']) {
      assert.match(err.message, new RegExp(`${field.replace('.', '\\.')} `), err.message);
    }
    assert.match(err.message, /options\.colour is not a link option \(oneTime, maxDownloads/);
  });
  it('wants at least one and at most 50 recipients, and the recipients and message beside the options', () => {
    assert.match(refusal({ name: 'a', recipients: [] }).message, /recipients must name at least one/);
    assert.match(refusal({ name: 'a', recipients: Array.from({ length: 51 }, (_, i) => `r${i}@x.example`) }).message, /at most 50/);
    assert.match(refusal({ name: 'a', recipients: ['a@x.example'], options: { recipients: 'b@x.example' } }).message, /options\.recipients is not an option/);
    assert.match(refusal({ name: 'a' }).message, /recipients/);
    assert.match(refusal('a').message, /JSON object/);
  });
  it('on a change, keeps the password unless the new options say otherwise', () => {
    assert.equal(parseDropFolderBody({ options: { oneTime: true } }, true).password, undefined);
    assert.equal(parseDropFolderBody({ options: { password: null } }, true).password, null);
    assert.equal(parseDropFolderBody({ name: 'b' }, true).password, undefined);
    assert.equal(parseDropFolderBody({ name: 'a', recipients: ['a@x.example'] }, false).password, null);
  });
});

describe(mayUseDropFolder.name, () => {
  it('lets admins use every folder, others by a role or a group, and nobody else a folder naming neither', () => {
    const folder = { roles: ['manager' as const], groups: ['finance'] };
    assert.ok(mayUseDropFolder(folder, { roles: ['manager'] }, []));
    assert.ok(mayUseDropFolder(folder, { roles: ['employee'] }, ['finance']));
    assert.ok(!mayUseDropFolder(folder, { roles: ['employee'] }, ['sales']));
    assert.ok(!mayUseDropFolder({ roles: [], groups: [] }, { roles: ['manager'] }, ['finance']));
    assert.ok(mayUseDropFolder({ roles: [], groups: [] }, { roles: ['admin'] }, []));
  });
});

describe(dropFolderLinkFields.name, () => {
  it('gives the upload use case the options, recipients, message and password of the folder', () => {
    const fields = dropFolderLinkFields({ id: 'x', name: 'F', recipients: ['a@x.example', 'b@y.example'], options: { oneTime: true }, message: 'Hi', roles: [], groups: [], password: new Secret('pw-123456789012') });
    const cmd = parseCreateSendLink(fields);
    assert.deepEqual(cmd.recipients, ['a@x.example', 'b@y.example']);
    assert.equal(cmd.oneTime, true);
    assert.equal(cmd.message, 'Hi');
    assert.equal(cmd.password, 'pw-123456789012');
  });
});
