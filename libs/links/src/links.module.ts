import { Module } from '@nestjs/common';
import { AuditModule } from '@mft/audit';
import { StorageModule } from '@mft/storage';
import { LinkMaintenanceService } from './link-maintenance.service.js';
import { LinkService } from './link.service.js';
import { LinksRepository } from './links.repository.js';
import { PasswordHasher } from '@mft/identity';
import { RecipientAccessService } from './recipient-access.service.js';
import { SendUploadService } from './send-upload.service.js';

@Module({
  imports: [AuditModule, StorageModule],
  providers: [LinksRepository, LinkService, SendUploadService, RecipientAccessService, PasswordHasher, LinkMaintenanceService],
  exports: [LinkService, SendUploadService, RecipientAccessService, LinkMaintenanceService, StorageModule],
})
export class LinksModule {}
