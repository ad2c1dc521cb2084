import { Module } from '@nestjs/common';
import { AuditModule } from '@mft/audit';
import { MailQueue } from './mail-queue.js';
import { MailQueueRepository } from './mail-queue.repository.js';
import { MailTemplateRepository } from './mail-template.repository.js';
import { MailTemplateService } from './mail-template.service.js';
import { BuiltInMailTemplates, MailRenderer } from './mail-templates.js';
import { MailTransport } from './mail-transport.js';
import { MailWorker } from './mail-worker.js';

@Module({
  imports: [AuditModule],
  providers: [
    MailQueueRepository,
    MailQueue,
    MailTransport,
    MailWorker,
    MailTemplateRepository,
    MailTemplateService,
    { provide: MailRenderer, useFactory: (repo: MailTemplateRepository) => new MailRenderer(repo, BuiltInMailTemplates.load()), inject: [MailTemplateRepository] },
  ],
  exports: [MailQueue, MailWorker, MailTemplateService],
})
export class MailModule {}
