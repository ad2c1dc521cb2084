import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuditModule } from '@mft/audit';
import { IdentityModule } from '@mft/identity';
import { LinksModule } from '@mft/links';
import { AuditController } from './audit/audit.controller.js';
import { BearerAuthGuard } from './auth/bearer-auth.guard.js';
import { LinksController } from './links/links.controller.js';
import { MeController } from './me/me.controller.js';
import { HttpErrorFilter } from './http-error.filter.js';

/** The admin and employee REST API under /api/v1, plus health checks. */
@Module({
  imports: [LinksModule, IdentityModule, AuditModule],
  controllers: [MeController, LinksController, AuditController],
  providers: [BearerAuthGuard, { provide: APP_FILTER, useClass: HttpErrorFilter }],
})
export class ApiModule {}
