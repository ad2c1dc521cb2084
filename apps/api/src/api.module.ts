import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuditModule } from '@mft/audit';
import { LinksModule } from '@mft/links';
import { WebErrorFilter } from '@mft/web';
import { AuditController } from './audit/audit.controller.js';
import { AuthModule } from './auth/auth.module.js';
import { BrandingController, BrandsController } from './branding/branding.controller.js';
import { ConnectionsController, SettingsController, ShareSourcesController } from './connections/connections.controller.js';
import { ConnectionsService } from './connections/connections.service.js';
import { DropFoldersController, MyDropFoldersController } from './drop-folders/drop-folders.controller.js';
import { TokensController } from './tokens/tokens.controller.js';
import { LinksController } from './links/links.controller.js';
import { MailController } from './mail/mail.controller.js';
import { MailTemplatesController } from './mail/mail-templates.controller.js';
import { MeController } from './me/me.controller.js';
import { PolicyController } from './policy/policy.controller.js';
import { AppPasswordsController, SshKeysController } from './sftp-credentials/sftp-credentials.controller.js';
import { UploadsController } from './uploads/uploads.controller.js';
import { SftpController } from './sftp/sftp.controller.js';
import { UsersController } from './users/users.controller.js';

/** The admin and employee REST API under /api/v1, plus health checks. */
@Module({
  imports: [LinksModule, AuthModule, AuditModule],
  controllers: [MeController, LinksController, AuditController, TokensController, PolicyController, MailController, MailTemplatesController, ConnectionsController, SettingsController, ShareSourcesController, UploadsController, SshKeysController, AppPasswordsController, SftpController, DropFoldersController, MyDropFoldersController, UsersController, BrandingController, BrandsController],
  providers: [ConnectionsService, { provide: APP_FILTER, useClass: WebErrorFilter }],
})
export class ApiModule {}
