import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Database } from '@mft/db';
import { StorageService } from '@mft/storage';
import { Registry } from 'prom-client';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly db: Database,
    private readonly storage: StorageService,
    private readonly metrics: Registry,
  ) {}

  /** Prometheus metrics. */
  @Get('metrics')
  async metricsText(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', this.metrics.contentType);
    res.send(await this.metrics.metrics());
  }

  /** The process is up. */
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** The database and the default storage answer. */
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) res: Response): Promise<{ status: string; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    await this.db.ping().then(
      () => (checks.database = 'ok'),
      (err: unknown) => (checks.database = `failing: ${err instanceof Error ? err.message : String(err)}`),
    );
    await this.storage
      .driver(this.storage.sendConnection)
      .ping()
      .then(
        () => (checks.storage = 'ok'),
        (err: unknown) => (checks.storage = `failing: ${err instanceof Error ? err.message : String(err)}`),
      );
    const ok = Object.values(checks).every((v) => v === 'ok');
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ready' : 'not ready', checks };
  }
}
