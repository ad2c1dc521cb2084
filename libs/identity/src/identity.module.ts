import { Module } from '@nestjs/common';
import { AuditModule } from '@mft/audit';
import { AppPasswordsRepository } from './app-passwords.repository.js';
import { AuditedLoginThrottle } from './audited-login-throttle.js';
import { CsrfTokens } from './csrf-tokens.js';
import { IdentityRepository } from './identity.repository.js';
import { LocalAdminRepository } from './local-admin.repository.js';
import { LocalAdminService } from './local-admin.service.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { SessionService } from './session.service.js';
import { SessionsRepository } from './sessions.repository.js';
import { SftpCredentialsService } from './sftp-credentials.service.js';
import { SshKeysRepository } from './ssh-keys.repository.js';
import { SsoUsersService } from './sso-users.service.js';
import { TokenService } from './token.service.js';
import { UserAdministration } from './user-administration.service.js';
import { UsersRepository } from './users.repository.js';

@Module({
  imports: [AuditModule],
  providers: [CsrfTokens, IdentityRepository, TokenService, SessionsRepository, SessionService, SsoUsersService, PasswordHasher, LocalAdminRepository, LocalAdminService, SshKeysRepository, AppPasswordsRepository, SftpCredentialsService, UsersRepository, UserAdministration, { provide: LoginThrottle, useClass: AuditedLoginThrottle }],
  exports: [CsrfTokens, IdentityRepository, TokenService, SessionService, SsoUsersService, SessionsRepository, PasswordHasher, LocalAdminService, LocalAdminRepository, LoginThrottle, SftpCredentialsService, UserAdministration],
})
export class IdentityModule {}
