import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PasswordHasher } from './password-hasher.js';

describe(PasswordHasher.name, () => {
  const sut = new PasswordHasher();

  it('hashes with argon2id at OWASP parameters (the native addon is built and loads)', async () => {
    const hash = await sut.hash('correct horse battery staple');
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  it('verifies the right password and refuses a wrong one or a malformed hash', async () => {
    const hash = await sut.hash('s3cret-passphrase');
    assert.equal(await sut.verify(hash, 's3cret-passphrase'), true);
    assert.equal(await sut.verify(hash, 's3cret-passphrasE'), false);
    assert.equal(await sut.verify('not-a-hash', 'x'), false);
  });

  it('gives parallel hashes of different passwords each their own salt', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => sut.hash(`p${i}-long-enough`)));
    assert.equal(new Set(results).size, 6);
  });
});
