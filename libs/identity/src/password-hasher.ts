import { availableParallelism } from 'node:os';
import { Injectable } from '@nestjs/common';
import argon2 from 'argon2';
import { Semaphore } from '@mft/core';

/** OWASP's argon2id parameters: 19 MiB, two passes, one lane. */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * argon2id hashing for link passwords. Hashes in flight are capped near the core count: they run
 * on libuv's thread pool, which file reads share, so a burst of guesses must not stall downloads.
 */
@Injectable()
export class PasswordHasher {
  readonly #slots = new Semaphore(Math.max(1, availableParallelism() - 1));

  hash(password: string): Promise<string> {
    return this.#slots.run(() => argon2.hash(password, OPTIONS));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    return this.#slots.run(async () => {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    });
  }
}
