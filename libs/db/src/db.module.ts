import { Global, Module, type DynamicModule } from '@nestjs/common';
import { Database } from './database.js';
import { RateLimiter } from './rate-limiter.js';

/** Provides the opened Database to every module. */
@Global()
@Module({})
export class DbModule {
  static forRoot(db: Database): DynamicModule {
    return { module: DbModule, providers: [{ provide: Database, useValue: db }, RateLimiter], exports: [Database, RateLimiter] };
  }
}
