import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Controller, Get, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { stringify } from 'csv-stringify';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { AUDIT_EVENT_TYPES, AuditService, type AuditEvent, type VerifyResult } from '@mft/audit';
import { Access, AUDIT_ROLES, AuthGuard } from '@mft/web';

const eventsQuery = z
  .object({
    from: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' }).optional(),
    to: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' }).optional(),
    type: z
      .string()
      .optional()
      .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []))
      .pipe(z.array(z.enum(AUDIT_EVENT_TYPES, { message: `must be one of: ${AUDIT_EVENT_TYPES.join(', ')}` }))),
    linkId: z.uuid().optional(),
    format: z.enum(['json', 'jsonl', 'csv']).default('json'),
  })
  .strict();

const CSV_COLUMNS = ['seq', 'id', 'at', 'type', 'outcome', 'actor', 'linkId', 'grantId', 'fileId', 'bytes', 'ip', 'userAgent', 'details', 'prevHash', 'hash'];

/** Neutralises spreadsheet formulas in exported cells (CSV injection). */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  const s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

@ApiTags('audit')
@ApiBearerAuth()
@UseGuards(AuthGuard)
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('events')
  @Access('audit:read', ...AUDIT_ROLES)
  @ApiProduces('application/json', 'application/x-ndjson', 'text/csv')
  @ApiQuery({ name: 'format', enum: ['json', 'jsonl', 'csv'], required: false })
  @ApiQuery({ name: 'from', required: false, description: 'ISO 8601, inclusive' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO 8601, exclusive' })
  @ApiQuery({ name: 'type', required: false, description: 'Comma-separated event types' })
  @ApiQuery({ name: 'linkId', required: false })
  @ApiOkResponse({ description: 'The matching events, oldest first, streamed' })
  async events(@Query({ schema: eventsQuery }) q: z.infer<typeof eventsQuery>, @Req() req: Request, @Res() res: Response): Promise<void> {
    const events = this.audit.events({
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      types: q.type,
      linkId: q.linkId,
    });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.setHeader('Cache-Control', 'no-store');
    let body: Readable;
    switch (q.format) {
      case 'csv':
        res.setHeader('Content-Type', 'text/csv; charset=utf-8');
        res.setHeader('Content-Disposition', `attachment; filename="audit-${stamp}.csv"`);
        {
          const rows = Readable.from(this.csvRows(events));
          body = rows.pipe(stringify({ header: true, columns: CSV_COLUMNS }));
          // pipe() does not pass errors on: a failing query would otherwise be an unhandled 'error'.
          rows.on('error', (err) => body.destroy(err));
        }
        break;
      case 'jsonl':
        res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
        body = Readable.from(this.jsonLines(events));
        break;
      case 'json':
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        body = Readable.from(this.jsonArray(events));
        break;
    }
    await pipeline(body, res).catch(() => {
      if (!req.destroyed) {
        res.destroy();
      }
    });
  }

  private async *csvRows(events: AsyncIterable<AuditEvent>): AsyncGenerator<Record<string, string>> {
    for await (const e of events) {
      yield Object.fromEntries(CSV_COLUMNS.map((c) => [c, csvCell(e[c as keyof AuditEvent])]));
    }
  }

  private async *jsonLines(events: AsyncIterable<AuditEvent>): AsyncGenerator<string> {
    for await (const e of events) {
      yield JSON.stringify(e) + '\n';
    }
  }

  private async *jsonArray(events: AsyncIterable<AuditEvent>): AsyncGenerator<string> {
    let first = true;
    yield '[';
    for await (const e of events) {
      yield (first ? '\n' : ',\n') + JSON.stringify(e);
      first = false;
    }
    yield '\n]\n';
  }

  @Get('verify')
  @Access('audit:read', ...AUDIT_ROLES)
  @ApiOkResponse({ description: '{ ok, checked, firstBad? }: whether every event still matches the hash chain' })
  verify(): Promise<VerifyResult> {
    return this.audit.verify();
  }
}
