import { Module } from '@nestjs/common';
import { AuditModule } from '@mft/audit';
import { BrandingModule } from '@mft/branding';
import { MailModule } from '@mft/mail';
import { PolicyModule } from '@mft/policy';
import { StorageModule } from '@mft/storage';
import { DropFolderService } from './drop-folders/drop-folder.service.js';
import { DropFoldersRepository } from './drop-folders/drop-folders.repository.js';
import { EmailVerificationService } from './email-verification.service.js';
import { LinkComplianceService } from './link-compliance.service.js';
import { LinkNotices } from './link-notices.js';
import { LinkMaintenanceService } from './link-maintenance.service.js';
import { LinkService } from './link.service.js';
import { IdentityModule } from '@mft/identity';
import { RecipientAccessService } from './recipient-access.service.js';
import { RecipientDownloads } from './recipient-downloads.js';
import { EmailChallengeRepository } from './repositories/email-challenge.repository.js';
import { GrantRepository } from './repositories/grant.repository.js';
import { LinkRepository } from './repositories/link.repository.js';
import { PendingUploadRepository } from './repositories/pending-upload.repository.js';
import { RecipientSessionRepository } from './repositories/recipient-session.repository.js';
import { SendUploadService } from './send-upload.service.js';
import { ShareBrowser } from './share-browser.service.js';
import { ShareLinkService } from './share-link.service.js';
import { ShareLinksRepository } from './share-links.repository.js';
import { ResumableUploadRepository } from './uploads/resumable-upload.repository.js';
import { ShareSourcesService } from './share-sources.service.js';
import { DropBatches } from './drops/drop-batches.service.js';
import { DropRecordsRepository, DropWaitingRepository } from './drops/drop-records.repository.js';
import { ResumableUploadService } from './uploads/resumable-upload.service.js';

const REPOSITORIES = [LinkRepository, GrantRepository, PendingUploadRepository, RecipientSessionRepository, EmailChallengeRepository];

@Module({
  // PasswordHasher comes from IdentityModule: one instance, so one argon2 concurrency cap for the process.
  imports: [AuditModule, BrandingModule, StorageModule, MailModule, PolicyModule, IdentityModule],
  providers: [...REPOSITORIES, LinkService, SendUploadService, RecipientAccessService, RecipientDownloads, LinkMaintenanceService, LinkNotices, EmailVerificationService, LinkComplianceService, ShareLinksRepository, ShareLinkService, ShareBrowser, ResumableUploadRepository, ResumableUploadService, DropRecordsRepository, DropWaitingRepository, DropBatches, ShareSourcesService, DropFoldersRepository, DropFolderService],
  exports: [DropFolderService, DropBatches, ShareSourcesService, ResumableUploadService, LinkService, ShareLinkService, ShareBrowser, LinkComplianceService, SendUploadService, RecipientAccessService, RecipientDownloads, EmailVerificationService, LinkMaintenanceService, StorageModule, MailModule, PolicyModule],
})
export class LinksModule {}
