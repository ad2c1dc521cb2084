import { Controller, Get, HttpCode, NotFoundException, Optional, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppConfigService } from '@mft/config';
import { Database } from '@mft/db';
import { StorageService } from '@mft/storage';
import { IngressProcess } from './ingress-process.js';
import { answerScrape, MetricsSource } from './metrics-listener.js';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly db: Database,
    private readonly storage: StorageService,
    private readonly metrics: MetricsSource,
    private readonly config: AppConfigService,
    @Optional() private readonly ingress?: IngressProcess,
  ) {}

  /**
   * Prometheus metrics on the main port: only with the metrics token (`METRICS_TOKEN`); without one
   * configured they live on the metrics listener alone, and this route does not exist.
   */
  @ApiExcludeEndpoint()
  @Get('metrics')
  async metricsText(@Req() req: Request, @Res() res: Response): Promise<void> {
    const token = this.config.values.metrics.token;
    if (token === null) {
      throw new NotFoundException('Cannot GET /metrics');
    }
    await answerScrape(req, res, this.metrics, token);
  }

  /** The process is up. */
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * The database and the send storage (the connection chosen with PUT /api/v1/settings/send-storage)
   * answer. With the SFTP ingress in a process of its own, its state is reported too (`sftp`), but
   * does not make this process unready: HTTP is served either way.
   */
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) res: Response): Promise<{ status: string; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    await this.db.ping().then(
      () => (checks.database = 'ok'),
      (err: unknown) => (checks.database = `failing: ${err instanceof Error ? err.message : String(err)}`),
    );
    // The connection that holds send copies; a storage that hangs counts as failing after a few seconds.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
    });
    await Promise.race([this.storage.sendConnectionId().then(async (id) => (await this.storage.driver(id)).ping()), timeout])
      .then(
        () => (checks.storage = 'ok'),
        (err: unknown) => (checks.storage = `failing: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => clearTimeout(timer));
    const ok = Object.values(checks).every((v) => v === 'ok');
    if (this.ingress) {
      checks.sftp = this.ingress.status;
    }
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ready' : 'not ready', checks };
  }
}
