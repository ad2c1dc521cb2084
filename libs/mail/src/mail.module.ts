import { Module } from '@nestjs/common';
import { AuditModule } from '@mft/audit';
import { MailQueue } from './mail-queue.js';
import { MailQueueRepository } from './mail-queue.repository.js';
import { MailRenderer } from './mail-templates.js';
import { MailTransport } from './mail-transport.js';
import { MailWorker } from './mail-worker.js';

@Module({
  imports: [AuditModule],
  providers: [MailQueueRepository, MailQueue, MailTransport, MailWorker, { provide: MailRenderer, useFactory: () => new MailRenderer() }],
  exports: [MailQueue, MailWorker],
})
export class MailModule {}
