import type { NestExpressApplication } from '@nestjs/platform-express';
import { AuditService } from '@mft/audit';
import { Database } from '@mft/db';
import { IdentityRepository, LocalAdminRepository, LocalAdminService, SftpCredentialsService, TokenService, UserAdministration } from '@mft/identity';
import { StorageService } from '@mft/storage';
import type { AdminHandler } from '@mft/web';
import { runAdminCommand } from './admin-commands.js';

/** CLI commands that a running gateway carries out for the CLI when it holds the embedded database. */
export const adminHandler =
  (app: NestExpressApplication): AdminHandler =>
  (req) =>
    runAdminCommand(
      {
        tokens: app.get(TokenService, { strict: false }),
        local: app.get(LocalAdminService, { strict: false }),
        localUsers: app.get(LocalAdminRepository, { strict: false }),
        audit: app.get(AuditService, { strict: false }),
        db: app.get(Database, { strict: false }),
        storage: app.get(StorageService, { strict: false }),
        users: app.get(IdentityRepository, { strict: false }),
        sftp: app.get(SftpCredentialsService, { strict: false }),
        userAdmin: app.get(UserAdministration, { strict: false }),
      },
      req.cmd,
      req.args,
    );
