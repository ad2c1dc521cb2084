import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { projectRoot } from '@mft/config';
import { CsrfTokens } from '@mft/identity';
import { LinksModule } from '@mft/links';
import { RecipientPageRenderer, Views, WebErrorFilter } from '@mft/web';
import { RecipientController } from './recipient.controller.js';

/** The recipient pages under /l/:token. */
@Module({
  imports: [LinksModule],
  controllers: [RecipientController],
  providers: [
    { provide: Views, useFactory: () => new Views(join(projectRoot(), 'apps', 'portal', 'src', 'views')) },
    RecipientPageRenderer,
    CsrfTokens,
    { provide: APP_FILTER, useClass: WebErrorFilter },
  ],
})
export class PortalModule {}
