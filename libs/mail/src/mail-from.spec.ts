import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHeader } from './mail-worker.js';

describe('fromHeader', () => {
  it('puts the brand name before the configured address, quoted', () => {
    assert.equal(fromHeader('no-reply@acme.example', 'Acme Files'), '"Acme Files" <no-reply@acme.example>');
    assert.equal(fromHeader('Old <files@acme.example>', 'Acme "Secure" \\ Files'), '"Acme \\"Secure\\" \\\\ Files" <files@acme.example>');
  });
  it('keeps a display name written in mail.from until the brand is named', () => {
    assert.equal(fromHeader('Files <files@corp.example>', 'Secure file transfer'), '"Files" <files@corp.example>');
    assert.equal(fromHeader('files@corp.example', 'Secure file transfer'), '"Secure file transfer" <files@corp.example>');
  });
});
