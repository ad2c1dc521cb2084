import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { MailQueue, type MailMessageView } from '@mft/mail';
import { Access, AuthGuard } from '@mft/web';
import { ErrorDto } from '../links/links.dto.js';
import { MAIL_STATUSES as STATUSES, MailMessageDto } from './mail.dto.js';

const listQuery = z
  .object({
    status: z.enum(STATUSES, { message: `must be one of: ${STATUSES.join(', ')}` }).optional(),
    before: z.uuid({ message: 'must be a message id (the id of the last message of the previous page)' }).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

/**
 * The outgoing mail queue for administrators: what is waiting, what failed and why, what was
 * sent. Message content (link addresses, codes) is never shown.
 */
@ApiTags('mail')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid API token' })
@UseGuards(AuthGuard)
@Controller('api/v1/mail')
export class MailController {
  constructor(private readonly mail: MailQueue) {}

  @Get('messages')
  @Access('admin', 'admin')
  @ApiQuery({ name: 'status', enum: STATUSES, required: false })
  @ApiQuery({ name: 'before', required: false, description: 'Paging: the id of the last message of the previous page' })
  @ApiQuery({ name: 'limit', required: false, description: '1–500, default 100' })
  @ApiOkResponse({ type: [MailMessageDto], description: 'Newest first' })
  messages(@Query({ schema: listQuery }) q: z.output<typeof listQuery>): Promise<MailMessageView[]> {
    return this.mail.list({ limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.before ? { before: q.before } : {}) });
  }
}
