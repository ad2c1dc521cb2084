import { Body, Controller, Get, Param, Patch, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { text } from '@mft/core';
import { ROLES, UserAdministration, userActor, type ManagedUser, type OwnedApiTokenRecord, type User } from '@mft/identity';
import { Access, accessContext, type AuthenticatedRequest, AuthGuard, CurrentUser } from '@mft/web';
import { ErrorDto } from '../links/links.dto.js';
import { ManagedUserDto, OwnedApiTokenDto, UpdateUserDto } from './users.dto.js';

const userId = z.uuid({ message: 'must be a user id (a UUID)' });
const roleEnum = z.enum(ROLES, { message: `must be one of: ${ROLES.join(', ')}` });

const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.uuid({ message: 'must be the X-Next-Cursor of a previous page' }).optional(),
    q: text().trim().max(200, 'must be at most 200 characters').optional(),
    role: roleEnum.optional(),
    group: text().trim().min(1).max(200, 'must be at most 200 characters').optional(),
    disabled: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
  })
  .strict();

const updateBody = z
  .object({
    disabled: z.boolean().optional(),
    roles: z.array(roleEnum).min(1, 'must name at least one role').max(ROLES.length).optional(),
  })
  .strict()
  .refine((b) => b.disabled !== undefined || b.roles !== undefined, { message: 'must give disabled or roles' });

/** Sets X-Next-Cursor and a Link header naming the next page of a list (the same query, the new cursor). */
export function nextPageHeaders(req: Request, res: Response, query: Record<string, unknown>, next: string | null): void {
  if (!next) {
    return;
  }
  const params = new URLSearchParams(
    Object.entries({ ...query, cursor: next })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]): [string, string] => [k, String(v)]),
  );
  res.setHeader('X-Next-Cursor', next);
  res.setHeader('Link', `<${req.baseUrl}${req.path}?${params.toString()}>; rel="next"`);
}

/** User administration (admins): the directory of users, disabling and enabling, the roles of local users. */
@ApiTags('users')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid credentials' })
@ApiResponse({ status: 403, type: ErrorDto, description: 'Not an administrator, or a token without the admin scope' })
@UseGuards(AuthGuard)
@Controller('api/v1/users')
export class UsersController {
  constructor(private readonly users: UserAdministration) {}

  @Get()
  @Access('admin', 'admin')
  @ApiOperation({
    summary: 'List users, a page at a time',
    description:
      'Answers an array of users in user-name order. q finds a part of the user name, email or display name (case-insensitive); role, group and disabled keep only the users that match. When more follow, the X-Next-Cursor header holds the cursor of the next page (pass it as ?cursor= with the same filters) and a Link header names that page with rel="next".',
  })
  @ApiQuery({ name: 'q', required: false, description: 'A part of the user name, email or display name (at most 200 characters)' })
  @ApiQuery({ name: 'role', required: false, enum: ROLES })
  @ApiQuery({ name: 'group', required: false, description: 'An IdP group the user is in' })
  @ApiQuery({ name: 'disabled', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'limit', required: false, description: 'Users per page, 1 to 200 (default 50)' })
  @ApiQuery({ name: 'cursor', required: false, description: 'The X-Next-Cursor of the previous page' })
  @ApiOkResponse({
    type: [ManagedUserDto],
    headers: {
      'X-Next-Cursor': { description: 'The cursor of the next page; absent on the last page', schema: { type: 'string' } },
      Link: { description: 'The next page, as <url>; rel="next"; absent on the last page', schema: { type: 'string' } },
    },
  })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'A malformed query (an unknown role or parameter, a NUL in q, a cursor that is not one)' })
  async list(@Query({ schema: listQuery }) q: z.infer<typeof listQuery>, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<ManagedUser[]> {
    const page = await this.users.list({
      limit: q.limit,
      after: q.cursor ?? null,
      search: q.q ? q.q : null,
      role: q.role ?? null,
      group: q.group ?? null,
      disabled: q.disabled === undefined ? null : q.disabled === 'true',
    });
    nextPageHeaders(req, res, q, page.next);
    return page.users;
  }

  @Get(':id')
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'One user, with where their roles come from and their live credentials' })
  @ApiOkResponse({ type: ManagedUserDto })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'No such user' })
  get(@Param('id', { schema: userId }) id: string): Promise<ManagedUser> {
    return this.users.get(id);
  }

  @Patch(':id')
  @Access('admin', 'admin')
  @ApiOperation({
    summary: 'Disable or enable a user, or set the roles of a local user',
    description:
      'Body: { disabled?, roles? } (at least one; unknown fields are refused). disabled: true revokes, in one transaction, every session, API token, SSH key and app password of the user (open SFTP sessions close at the ingress\'s next check); the user\'s links keep working. disabled: false enables the user again; nothing revoked comes back. roles: only for local users; an SSO user\'s roles come from their identity provider (409 roles_from_idp). You cannot disable yourself (409 cannot_disable_yourself) nor leave the gateway without an enabled administrator (409 last_admin). Audited as user.disabled (with what it revoked), user.enabled and user.roles_changed (from, to).',
  })
  @ApiBody({ type: UpdateUserDto })
  @ApiOkResponse({ type: ManagedUserDto, description: 'The user as they now are' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'A malformed body: an unknown field, a role that is not one, a NUL' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'No such user' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'roles_from_idp, cannot_disable_yourself or last_admin' })
  update(
    @Param('id', { schema: userId }) id: string,
    @Body({ schema: updateBody }) body: z.infer<typeof updateBody>,
    @Req() req: AuthenticatedRequest,
    @CurrentUser() user: User,
  ): Promise<ManagedUser> {
    return this.users.update(user, id, body, accessContext(req, userActor(user)));
  }

  @Get(':id/tokens')
  @Access('admin', 'admin')
  @ApiOperation({ summary: "A user's API tokens", description: 'Newest first, revoked ones included (with revokedAt), each with its owner; never their secrets. Revoke one with DELETE /api/v1/tokens/:id.' })
  @ApiOkResponse({ type: [OwnedApiTokenDto] })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'No such user' })
  tokens(@Param('id', { schema: userId }) id: string): Promise<OwnedApiTokenRecord[]> {
    return this.users.tokensOf(id);
  }
}
