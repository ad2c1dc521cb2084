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
import { SamlLoginService } from './saml/saml-login.service.js';
import { SamlProviders } from './saml/saml-providers.js';
import { SamlController } from './saml/saml.controller.js';

/** Sign-in: the login page, SSO (OIDC, SAML), the local break-glass admin, sessions. */
@Module({
  imports: [IdentityModule, AuditModule],
  controllers: [AuthPagesController, LocalAdminController, SamlController],
  providers: [AuthGuard, AuthPageErrorFilter, { provide: Views, useFactory: () => new Views(join(projectRoot(), 'apps', 'api', 'src', 'views')) }, SamlProviders, SamlLoginService],
  exports: [AuthGuard, IdentityModule],
})
export class AuthModule {}
