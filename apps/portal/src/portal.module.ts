import { Module } from '@nestjs/common';
import { CsrfTokens } from '@mft/identity';
import { LinksModule } from '@mft/links';
import { PortalErrorFilter } from './portal-error.filter.js';
import { RecipientController } from './recipient.controller.js';
import { join } from 'node:path';
import { projectRoot } from '@mft/config';
import { Views } from '@mft/web';

/** The recipient pages under /l/:token. */
@Module({ imports: [LinksModule], controllers: [RecipientController], providers: [{ provide: Views, useFactory: () => new Views(join(projectRoot(), 'apps', 'portal', 'src', 'views')) }, PortalErrorFilter, CsrfTokens] })
export class PortalModule {}
