import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { AuditModule } from '@mft/audit';
import { projectRoot } from '@mft/config';
import { IdentityModule } from '@mft/identity';
import { Views } from '@mft/web';
import { AuthPagesController } from './auth-pages.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthPageErrorFilter } from './auth-page-error.filter.js';
import { LocalAdminController } from './local-admin.controller.js';
import { OidcIdpClient } from './oidc/oidc-idp.client.js';
import { OidcLoginService } from './oidc/oidc-login.service.js';
import { OidcController } from './oidc/oidc.controller.js';

/** Sign-in: the login page, SSO (OIDC, SAML), the local break-glass admin, sessions. */
@Module({
  imports: [IdentityModule, AuditModule],
  controllers: [AuthPagesController, LocalAdminController, OidcController],
  providers: [AuthGuard, AuthPageErrorFilter, OidcIdpClient, OidcLoginService, { provide: Views, useFactory: () => new Views(join(projectRoot(), 'apps', 'api', 'src', 'views')) }],
  exports: [AuthGuard, IdentityModule],
})
export class AuthModule {}
