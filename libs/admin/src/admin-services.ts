import { AuditRepository, AuditService } from '@mft/audit';
import type { AppConfigService } from '@mft/config';
import { SystemClock } from '@mft/core';
import { RateLimiter, type Database } from '@mft/db';
import { IdentityRepository, LocalAdminRepository, LocalAdminService, LoginThrottle, PasswordHasher, TokenService } from '@mft/identity';
import { ConnectionsRepository, StorageService } from '@mft/storage';
import type { AdminServices } from './admin-commands.js';

/** The services the administration commands use, on `db` with the gateway's configuration (the CLI in-process, and the tests). */
export function adminServices(db: Database, cfg: AppConfigService): AdminServices {
  const clock = new SystemClock();
  const audit = new AuditService(db, new AuditRepository(db), clock);
  const localUsers = new LocalAdminRepository(db);
  return {
    tokens: new TokenService(db, new IdentityRepository(db), audit, clock),
    local: new LocalAdminService(db, localUsers, new PasswordHasher(), new LoginThrottle(new RateLimiter(db), cfg), audit, cfg),
    localUsers,
    audit,
    db,
    storage: new StorageService(cfg, new ConnectionsRepository(db), db),
  };
}
