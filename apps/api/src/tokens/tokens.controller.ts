import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { SCOPES, TokenService, userActor, type ApiTokenRecord, type CreatedToken, type User } from '@mft/identity';
import { Access, accessContext, type AuthenticatedRequest, AuthGuard, CurrentUser, EVERY_ROLE } from '@mft/web';
import { ApiTokenDto, CreatedTokenDto, SCOPE_DESCRIPTIONS, TokenScopeDto } from './tokens.dto.js';

const createToken = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(SCOPES)).min(1, 'name at least one scope').max(SCOPES.length),
    expiresInDays: z.number().int().min(1).max(3650).nullable().default(90),
  })
  .strict();

/** Personal API tokens: created with scopes and an expiry, shown once, stored hashed. */
@ApiTags('tokens')
@ApiBearerAuth()
@UseGuards(AuthGuard)
@Controller('api/v1/tokens')
export class TokensController {
  constructor(private readonly tokens: TokenService) {}

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
  @ApiOperation({ summary: 'List your API tokens', description: 'Newest first, revoked ones included (with revokedAt); never their secrets.' })
  @ApiOkResponse({ type: [ApiTokenDto] })
  list(@CurrentUser() user: User): Promise<ApiTokenRecord[]> {
    return this.tokens.list(user);
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
  @ApiOperation({ summary: 'Revoke one of your API tokens', description: 'At once; a token that is not yours or already revoked answers 404.' })
  @ApiNoContentResponse({ description: 'Revoked' })
  async revoke(@Param('id', { schema: z.uuid() }) id: string, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<void> {
    await this.tokens.revoke(user, id, accessContext(req, userActor(user)));
  }
}
