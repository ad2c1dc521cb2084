import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiExtraModels, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { RefusalAuditService } from '@mft/audit';
import { ForbiddenError } from '@mft/core';
import { hasRole, SCOPES, scopeAllows, TokenService, UserAdministration, userActor, type ApiTokenRecord, type CreatedToken, type OwnedApiTokenRecord, type User } from '@mft/identity';
import { Access, accessContext, type AuthenticatedRequest, AuthGuard, CurrentUser, EVERY_ROLE } from '@mft/web';
import { ErrorDto } from '../links/links.dto.js';
import { nextPageHeaders } from '../users/users.controller.js';
import { OwnedApiTokenDto } from '../users/users.dto.js';
import { ApiTokenDto, CreatedTokenDto, SCOPE_DESCRIPTIONS, TokenScopeDto } from './tokens.dto.js';

const createToken = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(SCOPES)).min(1, 'name at least one scope').max(SCOPES.length),
    expiresInDays: z.number().int().min(1).max(3650).nullable().default(90),
  })
  .strict();

const listQuery = z
  .object({
    all: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.uuid({ message: 'must be the X-Next-Cursor of a previous page' }).optional(),
  })
  .strict();

/** Personal API tokens: created with scopes and an expiry, shown once, stored hashed. */
@ApiTags('tokens')
@ApiBearerAuth()
@UseGuards(AuthGuard)
@Controller('api/v1/tokens')
export class TokensController {
  constructor(
    private readonly tokens: TokenService,
    private readonly users: UserAdministration,
    private readonly refusals: RefusalAuditService,
  ) {}

  @Post()
  @Access('admin', ...EVERY_ROLE)
  @ApiOperation({
    summary: 'Create an API token',
    description: 'Body: { name, scopes: [..], expiresInDays: 1..3650 or null for no expiry (default 90) }. The token never does more than your roles allow.',
  })
  @ApiCreatedResponse({ type: CreatedTokenDto, description: 'The token, with its secret: shown only here' })
  create(@Body({ schema: createToken }) body: z.infer<typeof createToken>, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<CreatedToken> {
    return this.tokens.create(
      {
        username: user.username,
        name: body.name,
        scopes: body.scopes,
        expiresAt: body.expiresInDays === null ? null : new Date(Date.now() + body.expiresInDays * 86_400_000),
      },
      accessContext(req, userActor(user)),
    );
  }

  @Get()
  @Access('links:read', ...EVERY_ROLE)
  @ApiOperation({
    summary: 'List your API tokens',
    description:
      'Newest first, revoked ones included (with revokedAt); never their secrets. With ?all=true (administrators, with a token of the admin scope): every user\'s live tokens (neither revoked nor expired), newest first, each with its owner, a page at a time (limit, default 100; the X-Next-Cursor header holds the cursor of the next page, passed as ?cursor=).',
  })
  @ApiQuery({ name: 'all', required: false, enum: ['true', 'false'], description: 'true: every user\'s live tokens, with their owners (admins)' })
  @ApiQuery({ name: 'limit', required: false, description: 'With all=true: tokens per page, 1 to 500 (default 100)' })
  @ApiQuery({ name: 'cursor', required: false, description: 'With all=true: the X-Next-Cursor of the previous page' })
  @ApiExtraModels(ApiTokenDto, OwnedApiTokenDto)
  @ApiOkResponse({
    schema: { oneOf: [{ type: 'array', items: { $ref: getSchemaPath(ApiTokenDto) } }, { type: 'array', items: { $ref: getSchemaPath(OwnedApiTokenDto) } }] },
    description: 'Your tokens (ApiTokenDto); with all=true every user\'s live tokens (OwnedApiTokenDto)',
  })
  @ApiResponse({ status: 403, type: ErrorDto, description: 'all=true by someone who is not an administrator, or with a token without the admin scope' })
  async list(
    @Query({ schema: listQuery }) q: z.infer<typeof listQuery>,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
    @CurrentUser() user: User,
  ): Promise<ApiTokenRecord[] | OwnedApiTokenRecord[]> {
    if (q.all !== 'true') {
      return this.tokens.list(user);
    }
    await this.assertAdmin(req, user);
    const page = await this.users.liveTokens({ limit: q.limit, after: q.cursor ?? null });
    nextPageHeaders(req, res, q, page.next);
    return page.tokens;
  }

  @Get('scopes')
  @Access('links:read', ...EVERY_ROLE)
  @ApiOperation({ summary: 'The scopes a token may be given', description: 'Each scope with what it allows, in the order the API knows them.' })
  @ApiOkResponse({ type: [TokenScopeDto] })
  scopes(): TokenScopeDto[] {
    return SCOPES.map((scope) => ({ scope, description: SCOPE_DESCRIPTIONS[scope] }));
  }

  @Delete(':id')
  @HttpCode(204)
  @Access('admin', ...EVERY_ROLE)
  @ApiOperation({
    summary: 'Revoke an API token',
    description:
      'At once. Your own token; an administrator may revoke anyone\'s (audited as token.revoked with its owner and revokedBy). A token you may not revoke, or one already revoked, answers 404.',
  })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'No live token with this id that you may revoke' })
  async revoke(@Param('id', { schema: z.uuid() }) id: string, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<void> {
    const ctx = accessContext(req, userActor(user));
    if (hasRole(user, 'admin')) {
      await this.users.revokeToken(user, id, ctx);
    } else {
      await this.tokens.revoke(user, id, ctx);
    }
  }

  /** The org-wide list is for administrators; a token must carry the admin scope, as on the users routes. */
  private async assertAdmin(req: AuthenticatedRequest, user: User): Promise<void> {
    const route = 'GET /api/v1/tokens?all=true';
    if (!hasRole(user, 'admin')) {
      await this.refusals.record(accessContext(req, userActor(user)), { type: 'auth.forbidden', details: { reason: 'role_forbidden', roles: ['admin'], route } });
      throw new ForbiddenError('role_forbidden', "Every user's tokens are for administrators: this needs the role admin.");
    }
    if (req.via === 'token' && !scopeAllows(req.scopes ?? [], 'admin')) {
      await this.refusals.record(accessContext(req, userActor(user)), { type: 'auth.forbidden', details: { reason: 'token_scope_missing', scope: 'admin', route } });
      throw new ForbiddenError('token_scope_missing', 'This API token lacks the scope "admin".');
    }
  }
}
