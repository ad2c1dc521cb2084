import { Module } from '@nestjs/common';
import { LinksModule } from '@mft/links';
import { PortalErrorFilter } from './portal-error.filter.js';
import { RecipientController } from './recipient.controller.js';
import { Views } from './views.js';

/** The recipient pages under /l/:token. */
@Module({ imports: [LinksModule], controllers: [RecipientController], providers: [Views, PortalErrorFilter] })
export class PortalModule {}
