import { Global, Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { AuditModule } from '@mft/audit';
import { BrandHostMiddleware } from './brand-host.js';
import { BrandingAssetsController } from './branding-assets.controller.js';
import { BrandingRepository } from './branding.repository.js';
import { BrandingService } from './branding.service.js';

/** The brand, for every module of the process (pages, mail, the staff app), and its public files under /branding. */
@Global()
@Module({ imports: [AuditModule], controllers: [BrandingAssetsController], providers: [BrandingRepository, BrandingService], exports: [BrandingService] })
export class BrandingModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(BrandHostMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
