import type { CacheItem, CacheProvider } from '@node-saml/passport-saml';
import type { SessionsRepository } from '../sessions.repository.js';

/** The shared cache could not be read or written: the sign-in cannot be checked, so it fails closed. */
export class SamlCacheError extends Error {
  override name = 'SamlCacheError';
}

/**
 * node-saml's `CacheProvider` over the `saml_cache` table: the ids of the AuthnRequests this
 * gateway issued, so that any replica can check a response's `InResponseTo`. Keys are namespaced
 * per provider, so a request made for one identity provider cannot be answered by another.
 *
 * node-saml removes a request id whenever a post naming it fails, so anyone who saw the id could
 * cancel that person's sign-in with a junk post. Its removals are therefore ignored: the sign-in
 * takes the id itself (`take`) once the response has passed every check, so a request is answered
 * at most once, and a request nobody answers expires.
 */
export class SamlRequestCache implements CacheProvider {
  readonly #prefix: string;

  constructor(
    private readonly repo: SessionsRepository,
    providerId: string,
    private readonly ttlSeconds: number,
  ) {
    this.#prefix = `saml:request:${providerId}:`;
  }

  async saveAsync(key: string, value: string): Promise<CacheItem | null> {
    const saved = await this.guard(() => this.repo.cacheSave(this.#prefix + key, value, this.ttlSeconds));
    return saved ? { value, createdAt: Date.now() } : null;
  }

  getAsync(key: string): Promise<string | null> {
    return this.guard(() => this.repo.cacheGet(this.#prefix + key));
  }

  /** Ignored (see the class comment); answers as if nothing was there. */
  removeAsync(): Promise<string | null> {
    return Promise.resolve(null);
  }

  /** Removes the request id and says whether it was still pending: true for exactly one caller. */
  async take(key: string): Promise<boolean> {
    return (await this.guard(() => this.repo.cacheTake(this.#prefix + key))) !== null;
  }

  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw new SamlCacheError(`SAML request cache unavailable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}
