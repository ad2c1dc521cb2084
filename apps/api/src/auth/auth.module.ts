import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { AuditModule } from '@mft/audit';
import { BrandingService } from '@mft/branding';
import { projectRoot } from '@mft/config';
import { IdentityModule, SsoModule } from '@mft/identity';
import { AuthGuard, StaffPageRenderer, Views } from '@mft/web';
import { AuthPagesController } from './auth-pages.controller.js';
import { LocalAdminController } from './local-admin.controller.js';
import { OidcController } from './oidc/oidc.controller.js';
import { SamlController } from './saml/saml.controller.js';

/** Sign-in routes: the login page, SSO (OIDC, SAML) callbacks, the local break-glass admin, sessions. */
@Module({
  imports: [IdentityModule, SsoModule, AuditModule],
  controllers: [AuthPagesController, LocalAdminController, SamlController, OidcController],
  providers: [
    AuthGuard,
    StaffPageRenderer,
    { provide: Views, useFactory: (brands: BrandingService) => new Views(join(projectRoot(), 'apps', 'api', 'src', 'views'), brands), inject: [BrandingService] },
  ],
  exports: [AuthGuard, IdentityModule],
})
export class AuthModule {}
