import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { AppConfigService } from '@mft/config';
import { InvalidInputError, text } from '@mft/core';
import { userActor, type User } from '@mft/identity';
import { LinkService, ResumableUploadService, SendUploadService, ShareLinkService, type CreatedLink, type GrantReset, type LinkActivity, type LinkStatus, type LinkView, type ResentInvitation } from '@mft/links';
import { Access, accessContext, type AuthenticatedRequest, AuthGuard, CurrentUser, LINK_ROLES, receiveMultipart } from '@mft/web';
import { CreatedLinkDto, CreateSendLinkFormDto, CreateShareLinkDto, ErrorDto, GrantResetDto, LinkActivityDto, LinkDto, ResentInvitationDto } from './links.dto.js';

const uuid = z.uuid({ message: 'must be a link id (a UUID)' });
const LINK_STATUSES = ['active', 'revoked', 'expired', 'consumed'] as const satisfies readonly LinkStatus[];
const listQuery = z.object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    before: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' }).optional(),
    cursor: z.uuid({ message: 'must be the X-Next-Cursor of a previous page' }).optional(),
    q: text().trim().max(200, 'must be at most 200 characters').optional(),
    status: z.enum(LINK_STATUSES, { message: `must be one of: ${LINK_STATUSES.join(', ')}` }).optional(),
    owner: text().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
  });

@ApiTags('links')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid API token' })
@UseGuards(AuthGuard)
@Controller('api/v1/links')
export class LinksController {
  constructor(
    private readonly uploads: SendUploadService,
    private readonly links: LinkService,
    private readonly shares: ShareLinkService,
    private readonly config: AppConfigService,
    private readonly resumable: ResumableUploadService,
  ) {}

  @Post()
  // Which of these roles may create which kind of link is the policy's to say (creators.*), with a 422 naming the rule.
  @Access('links:write', ...LINK_ROLES)
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiOperation({
    summary: 'Create a send link (multipart upload, or JSON naming resumable uploads) or a share link (JSON)',
    description:
      'A send link: multipart/form-data with the files and the options, or a JSON body { kind: "send", uploads: [ids of completed uploads from /api/v1/uploads], ...the options }. A share link: a JSON body { kind: "share", connectionId, path, pinContent?, ...the same options } pointing at a file or folder of a storage connection; checked in this order: the options (400), the policy creators.share (422 policy_creators_share), the connection\'s share roots (403 share_path_forbidden), the path (404).',
  })
  @ApiBody({ schema: { oneOf: [{ $ref: getSchemaPath(CreateSendLinkFormDto) }, { $ref: getSchemaPath(CreateShareLinkDto) }] } })
  @ApiExtraModels(CreateSendLinkFormDto, CreateShareLinkDto)
  @ApiResponse({ status: 403, type: ErrorDto, description: 'A share of a path the user may not share from (share_path_forbidden)' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'A share of a path or connection that does not exist' })
  @ApiCreatedResponse({ type: CreatedLinkDto })
  @ApiResponse({ status: 413, type: ErrorDto, description: 'A file or the total is over the size limit' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'Refused by a rule; the code names it' })
  async create(@Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response, @CurrentUser() user: User): Promise<CreatedLink> {
    if (!req.is('multipart/form-data')) {
      if (req.is('application/json') && (req.body as { kind?: unknown } | undefined)?.kind === 'share') {
        const created = await this.shares.create(user, req.body, accessContext(req, userActor(user)));
        res.setHeader('Location', `/api/v1/links/${created.id}`);
        return created;
      }
      // A JSON send link names completed resumable uploads; without "uploads" the files are expected as multipart.
      const body = req.body as { kind?: unknown; uploads?: unknown } | undefined;
      if (req.is('application/json') && body?.kind === 'send' && body.uploads !== undefined) {
        const created = await this.resumable.createLink(user, req.body as Record<string, unknown>, accessContext(req, userActor(user)));
        res.setHeader('Location', `/api/v1/links/${created.id}`);
        return created;
      }
      throw new InvalidInputError(
        'multipart_required',
        'Upload the files of a send link as multipart/form-data, with one part per file, or as a JSON body { "kind": "send", "uploads": [ids of completed uploads], ... }; a share link is a JSON body { "kind": "share", "connectionId", "path", ... }.',
      );
    }
    const upload = this.uploads.begin(user, accessContext(req, userActor(user)));
    try {
      const fields = await receiveMultipart(req, upload, this.config.links.maxFilesPerLink);
      const created = await upload.commit(fields);
      res.setHeader('Location', `/api/v1/links/${created.id}`);
      return created;
    } catch (err) {
      // An answer before the whole body was read closes the connection (the gateway's closeAfterUnreadBody).
      await upload.abort(err);
      throw err;
    }
  }

  @Get()
  @Access('links:read', ...LINK_ROLES)
  @ApiOperation({
    summary: 'List your links (every link, for an admin), newest first, a page at a time',
    description:
      'Answers an array of links. When more follow, the X-Next-Cursor header holds the cursor of the next page (pass it as ?cursor=, with the same q, status and owner) and a Link header names that page with rel="next"; the last page has neither. q finds a part of a file name, a share\'s path or a recipient address (case-insensitive), or the start of a link id; status keeps the links in that state; owner keeps the links of one user (an admin\'s view of one person; others only ever see their own).',
  })
  @ApiQuery({ name: 'limit', required: false, description: 'Links per page, 1 to 200 (default 50)' })
  @ApiQuery({ name: 'cursor', required: false, description: 'The X-Next-Cursor of the previous page' })
  @ApiQuery({ name: 'q', required: false, description: 'Search: a part of a file name, a share path or a recipient address, or the start of a link id (at most 200 characters)' })
  @ApiQuery({ name: 'status', required: false, enum: LINK_STATUSES, description: 'Only links in this state' })
  @ApiQuery({ name: 'before', required: false, description: 'Only links created before this ISO 8601 instant' })
  @ApiQuery({ name: 'owner', required: false, description: 'Only the links of the user with this username (case-insensitive)' })
  @ApiOkResponse({
    type: [LinkDto],
    headers: {
      'X-Next-Cursor': { description: 'The cursor of the next page; absent on the last page', schema: { type: 'string' } },
      Link: { description: 'The next page, as <url>; rel="next"; absent on the last page', schema: { type: 'string' } },
    },
  })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'A malformed query (a NUL in q, an unknown status, a cursor that is not one)' })
  async list(
    @Query({ schema: listQuery }) q: z.infer<typeof listQuery>,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
    @CurrentUser() user: User,
  ): Promise<LinkView[]> {
    const page = await this.links.list(user, {
      limit: q.limit,
      before: q.before ? new Date(q.before) : null,
      cursor: q.cursor ?? null,
      status: q.status ?? null,
      search: q.q ? q.q : null,
      owner: q.owner ?? null,
    });
    if (page.next) {
      const next = new URLSearchParams(Object.entries({ ...q, cursor: page.next }).map(([k, v]): [string, string] => [k, String(v)]));
      res.setHeader('X-Next-Cursor', page.next);
      res.setHeader('Link', `<${req.baseUrl}${req.path}?${next.toString()}>; rel="next"`);
    }
    return page.links;
  }

  @Get(':id')
  @Access('links:read', ...LINK_ROLES)
  @ApiOkResponse({ type: LinkDto })
  @ApiResponse({ status: 404, type: ErrorDto })
  get(@Param('id', { schema: uuid }) id: string, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<LinkView> {
    return this.links.get(id, user, accessContext(req, userActor(user)));
  }

  @Get(':id/activity')
  @Access('links:read', ...LINK_ROLES)
  @ApiOperation({
    summary: 'What happened to a link, recipient by recipient',
    description:
      'The link\'s events from the audit log, oldest first: invitations delivered (or written to the outbox folder when no mail server is configured), pages opened, passwords entered, emails verified, downloads started, completed, interrupted or cut, revocations. Each names its grant (null for the link as a whole), the recipient\'s IP and the email their browser session had verified. Visible as GET /api/v1/links/:id is: to the owner and to admins.',
  })
  @ApiOkResponse({ type: [LinkActivityDto] })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'No such link that you can see' })
  activity(@Param('id', { schema: uuid }) id: string, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<LinkActivity[]> {
    return this.links.activity(id, user, accessContext(req, userActor(user)));
  }

  @Delete(':id')
  @HttpCode(204)
  @Access('links:write', ...LINK_ROLES)
  @ApiResponse({ status: 204, description: 'Revoked: every grant ends at once; a send link is then purged' })
  async revoke(@Req() req: AuthenticatedRequest, @Param('id', { schema: uuid }) id: string, @CurrentUser() user: User): Promise<void> {
    await this.links.revoke(id, user, accessContext(req, userActor(user)));
  }

  @Delete(':id/grants/:grantId')
  @HttpCode(204)
  @Access('links:write', ...LINK_ROLES)
  @ApiResponse({ status: 204, description: 'One recipient grant revoked' })
  async revokeGrant(
    @Req() req: AuthenticatedRequest,
    @Param('id', { schema: uuid }) id: string,
    @Param('grantId', { schema: uuid }) grantId: string,
    @CurrentUser() user: User,
  ): Promise<void> {
    await this.links.revokeGrant(id, grantId, user, accessContext(req, userActor(user)));
  }

  @Post(':id/grants/:grantId/resend')
  @HttpCode(200)
  @Access('links:write', ...LINK_ROLES)
  @ApiOkResponse({ type: ResentInvitationDto, description: 'A new invitation is queued with a new address; the old address stops working at once' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'No such link or grant that you can see' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'The grant has no recipient, or a download holds it right now' })
  @ApiResponse({ status: 410, type: ErrorDto, description: 'The grant or its link has ended' })
  @ApiResponse({ status: 429, type: ErrorDto, description: 'Too many new invitations to this recipient recently (rateLimits.resendPerGrant)' })
  resendInvitation(
    @Req() req: AuthenticatedRequest,
    @Param('id', { schema: uuid }) id: string,
    @Param('grantId', { schema: uuid }) grantId: string,
    @CurrentUser() user: User,
  ): Promise<ResentInvitation> {
    return this.links.resendInvitation(id, grantId, user, accessContext(req, userActor(user)));
  }

  @Post(':id/grants/:grantId/reset')
  @HttpCode(200)
  @Access('links:write', ...LINK_ROLES)
  @ApiOperation({
    summary: 'Reset an unfinished download of a grant',
    description:
      'A download that delivered some bytes keeps the grant for its browser session until the link ends; this releases it, so that a new download from any session starts afresh. The answer says how much had been delivered. Audited as grant.reset.',
  })
  @ApiOkResponse({ type: GrantResetDto, description: 'The grant is free again; what the reset download had delivered' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'No such link or grant that you can see' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'No download holds the grant (grant_not_claimed)' })
  @ApiResponse({ status: 410, type: ErrorDto, description: 'The grant or its link has ended' })
  resetGrant(
    @Req() req: AuthenticatedRequest,
    @Param('id', { schema: uuid }) id: string,
    @Param('grantId', { schema: uuid }) grantId: string,
    @CurrentUser() user: User,
  ): Promise<GrantReset> {
    return this.links.resetGrant(id, grantId, user, accessContext(req, userActor(user)));
  }
}
