import { Global, Module, type DynamicModule } from '@nestjs/common';
import { AppConfigService } from './config.service.js';

/** Makes one validated AppConfigService available everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfigService): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfigService, useValue: config }],
      exports: [AppConfigService],
    };
  }
}
