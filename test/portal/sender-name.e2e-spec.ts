import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSendLink, SmtpSink, TestGateway } from '@mft/testing';

/** The sender is named by one rule (their display name, else their user name) on every page and in every email. */
describe('the sender’s name on pages and in emails', () => {
  let sink: SmtpSink;
  let gw: TestGateway;
  let token: string;

  before(async () => {
    sink = await SmtpSink.start();
    gw = await TestGateway.start({ env: { SMTP_URL: sink.url, MAIL_POLL_SECONDS: '0.3' } });
    token = await gw.token();
  });
  after(async () => {
    await gw?.stop();
    await sink?.stop();
  });

  it('the landing page, the invitation email and the 410 page of a withdrawn link name the sender alike', async () => {
    // The bootstrap administrator: user name "admin", display name "Administrator".
    const name = 'Administrator';
    const recipient = 'names@partner.example';
    const created = await createSendLink(gw.baseUrl, token, [{ name: 'notes.txt', content: 'notes' }], { recipients: recipient });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const url = created.body.grants[0]!.url;

    const invitation = await sink.latest(recipient, /sent you a file/);
    assert.equal(invitation.subject, `${name} sent you a file`);

    const landing = await (await fetch(url, { headers: { accept: 'text/html' } })).text();
    assert.match(landing, new RegExp(`From <strong>${name}</strong>`));

    const revoked = await fetch(`${gw.baseUrl}/api/v1/links/${created.body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    assert.equal(revoked.status, 204);
    const gone = await fetch(url, { headers: { accept: 'text/html' } });
    assert.equal(gone.status, 410);
    const page = await gone.text();
    assert.ok(page.includes(`${name} has withdrawn this link`), page);
  });
});
