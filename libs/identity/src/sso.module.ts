import { Module } from '@nestjs/common';
import { AuditModule } from '@mft/audit';
import { IdentityModule } from './identity.module.js';
import { OidcIdpClient } from './oidc/oidc-idp.client.js';
import { OidcLoginService } from './oidc/oidc-login.service.js';
import { SamlLoginService } from './saml/saml-login.service.js';
import { SamlProviders } from './saml/saml-providers.js';

/**
 * Single sign-on: OpenID Connect (openid-client) and SAML 2.0 (node-saml) sign-ins, which end in
 * the same JIT user and session services as every other way in. The HTTP routes stay in the API app.
 */
@Module({
  imports: [IdentityModule, AuditModule],
  providers: [SamlProviders, SamlLoginService, OidcIdpClient, OidcLoginService],
  exports: [SamlLoginService, OidcLoginService],
})
export class SsoModule {}
