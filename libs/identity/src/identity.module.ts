import { Module } from '@nestjs/common';
import { AuditModule } from '@mft/audit';
import { IdentityRepository } from './identity.repository.js';
import { SessionService } from './session.service.js';
import { SessionsRepository } from './sessions.repository.js';
import { SsoUsersService } from './sso-users.service.js';
import { TokenService } from './token.service.js';

@Module({
  imports: [AuditModule],
  providers: [IdentityRepository, TokenService, SessionsRepository, SessionService, SsoUsersService],
  exports: [TokenService, SessionService, SsoUsersService, SessionsRepository],
})
export class IdentityModule {}
