/** Caps work in flight (argon2 hashes share libuv's pool with file I/O, so they are kept near the core count). */
export class Semaphore {
  #active = 0;
  readonly #waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active < this.limit) {
      this.#active++;
    } else {
      // The releasing task hands its slot over directly, so #active never exceeds the limit.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) {
        next();
      } else {
        this.#active--;
      }
    }
  }
}
