import { Module } from '@nestjs/common';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import { RefusalAuditService } from './refusal-audit.service.js';

@Module({ providers: [AuditRepository, AuditService, RefusalAuditService], exports: [AuditService, RefusalAuditService] })
export class AuditModule {}
