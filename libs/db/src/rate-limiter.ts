import { Injectable } from '@nestjs/common';
import { Database } from './database.js';

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly hits: number;
  readonly retryAfterSeconds: number;
}

/**
 * Fixed-window counters in the database, so that every replica sees the same count.
 * One statement per hit (an upsert), never read-then-write.
 */
@Injectable()
export class RateLimiter {
  constructor(private readonly db: Database) {}

  async hit(key: string, max: number, windowSeconds: number): Promise<RateLimitDecision> {
    const [row] = await this.db.query<{ hits: number; retry: string | number }>(
      `INSERT INTO rate_limits AS r (key, window_start, hits) VALUES ($1, now(), 1)
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN r.window_start <= now() - make_interval(secs => $2::float8) THEN 1 ELSE r.hits + 1 END,
         window_start = CASE WHEN r.window_start <= now() - make_interval(secs => $2::float8) THEN now() ELSE r.window_start END
       RETURNING hits, CEIL(EXTRACT(EPOCH FROM (window_start + make_interval(secs => $2::float8) - now()))) AS retry`,
      [key, windowSeconds],
    );
    const hits = Number(row!.hits);
    return { allowed: hits <= max, hits, retryAfterSeconds: Math.max(1, Number(row!.retry)) };
  }

  /** The hits counted so far in the current window of `key`, without counting one more (0 when the window is over). */
  async peek(key: string, windowSeconds: number): Promise<number> {
    const [row] = await this.db.query<{ hits: number }>(
      `SELECT hits FROM rate_limits WHERE key = $1 AND window_start > now() - make_interval(secs => $2::float8)`,
      [key, windowSeconds],
    );
    return row ? Number(row.hits) : 0;
  }

  /** Takes back one hit (an attempt that turned out legitimate). */
  async giveBack(key: string): Promise<void> {
    await this.db.query(`UPDATE rate_limits SET hits = GREATEST(hits - 1, 0) WHERE key = $1`, [key]);
  }

  /** Forgets expired windows; called by the maintenance sweep. */
  async sweep(olderThanSeconds: number): Promise<void> {
    await this.db.query(`DELETE FROM rate_limits WHERE window_start < now() - make_interval(secs => $1::float8)`, [
      olderThanSeconds,
    ]);
  }
}
