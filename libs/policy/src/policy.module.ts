import { Module } from '@nestjs/common';
import { AuditModule } from '@mft/audit';
import { PolicyRepository } from './policy.repository.js';
import { PolicyService } from './policy.service.js';

@Module({ imports: [AuditModule], providers: [PolicyRepository, PolicyService], exports: [PolicyService] })
export class PolicyModule {}
