import assert from 'node:assert/strict';
import { generateClientKey, type ClientKey, type SftpTarget, type TestGateway } from '@mft/testing';

/** A gateway user with a token and a registered SSH key. */
export interface SftpUser {
  readonly username: string;
  readonly token: string;
  readonly key: ClientKey;
  readonly keyId: string;
}

/** Adds `username` with `roles` (CLI), gives them a token, and registers a new key of theirs through the API. */
export async function sftpUser(gw: TestGateway, username: string, roles = 'employee', email = `${username}@corp.example`): Promise<SftpUser> {
  await gw.addUser({ user: username, roles: roles.split(','), email });
  const token = await gw.token(username);
  const key = generateClientKey('ed25519');
  const res = await fetch(`${gw.baseUrl}/api/v1/me/ssh-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'laptop', publicKey: key.publicKey }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const { id } = (await res.json()) as { id: string };
  return { username, token, key, keyId: id };
}

/** The public key lines the gateway serves for its SFTP host keys. */
export async function hostKeys(gw: TestGateway): Promise<string[]> {
  const res = await fetch(`${gw.baseUrl}/api/v1/sftp/host-key`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { keys: Array<{ type: string; fingerprint: string; publicKey: string }> };
  return body.keys.map((k) => k.publicKey);
}

export async function target(gw: TestGateway, user: SftpUser, options: string[] = []): Promise<SftpTarget> {
  return { port: gw.sftpPort, user: user.username, key: user.key, hostKeys: await hostKeys(gw), options };
}

export interface LinkSummary {
  id: string;
  files: Array<{ id: string; name: string; size: number }>;
  grants: Array<{ recipient: string }>;
}

/** The user's links, newest first. */
export async function linksOf(gw: TestGateway, token: string): Promise<LinkSummary[]> {
  const res = await fetch(`${gw.baseUrl}/api/v1/links`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { links?: LinkSummary[] } | LinkSummary[];
  return Array.isArray(body) ? body : (body.links ?? []);
}
