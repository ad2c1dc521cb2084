import { Module } from '@nestjs/common';
import { AuditModule } from '@mft/audit';
import { IdentityRepository } from './identity.repository.js';
import { TokenService } from './token.service.js';

@Module({ imports: [AuditModule], providers: [IdentityRepository, TokenService], exports: [TokenService] })
export class IdentityModule {}
