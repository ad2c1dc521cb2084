import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { BrandingService } from '@mft/branding';
import { projectRoot } from '@mft/config';
import { CsrfTokens, IdentityModule } from '@mft/identity';
import { LinksModule } from '@mft/links';
import { RecipientPageRenderer, Views, WebErrorFilter } from '@mft/web';
import { RecipientController } from './recipient.controller.js';
import { RootController, WebAppController } from './web-app.controller.js';

/** The recipient pages under /l/:token, and the staff web app at /app. */
@Module({
  imports: [LinksModule, IdentityModule],
  controllers: [RecipientController, WebAppController, RootController],
  providers: [
    { provide: Views, useFactory: (brands: BrandingService) => new Views(join(projectRoot(), 'apps', 'portal', 'src', 'views'), brands), inject: [BrandingService] },
    RecipientPageRenderer,
    CsrfTokens,
    { provide: APP_FILTER, useClass: WebErrorFilter },
  ],
})
export class PortalModule {}
