import { AuditRepository, AuditService } from '@mft/audit';
import type { AppConfigService } from '@mft/config';
import { SystemClock } from '@mft/core';
import { RateLimiter, type Database } from '@mft/db';
import { AppPasswordsRepository, IdentityRepository, LocalAdminRepository, LocalAdminService, LoginThrottle, PasswordHasher, SessionsRepository, SftpCredentialsService, SshKeysRepository, TokenService, UserAdministration, UsersRepository } from '@mft/identity';
import { ConnectionsRepository, StorageService } from '@mft/storage';
import type { AdminServices } from './admin-commands.js';

/** The services the administration commands use, on `db` with the gateway's configuration (the CLI in-process, and the tests). */
export function adminServices(db: Database, cfg: AppConfigService): AdminServices {
  const clock = new SystemClock();
  const audit = new AuditService(db, new AuditRepository(db), clock);
  const localUsers = new LocalAdminRepository(db);
  const users = new IdentityRepository(db);
  const hasher = new PasswordHasher();
  const sshKeys = new SshKeysRepository(db);
  const appPasswords = new AppPasswordsRepository(db);
  return {
    tokens: new TokenService(db, users, audit, clock),
    local: new LocalAdminService(db, localUsers, hasher, new LoginThrottle(new RateLimiter(db), cfg), audit, cfg),
    localUsers,
    audit,
    db,
    storage: new StorageService(cfg, new ConnectionsRepository(db), db),
    users,
    sftp: new SftpCredentialsService(db, sshKeys, appPasswords, hasher, audit),
    userAdmin: new UserAdministration(db, new UsersRepository(db), users, new SessionsRepository(db), sshKeys, appPasswords, audit, cfg),
  };
}
