import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { SessionService, type User } from '@mft/identity';
import { Access, AuthGuard, CurrentUser, EVERY_ROLE, sessionCookieOf, type AuthenticatedRequest } from '@mft/web';

@ApiTags('me')
@ApiBearerAuth()
@UseGuards(AuthGuard)
@Controller('api/v1/me')
export class MeController {
  constructor(private readonly sessions: SessionService) {}

  @Get()
  @Access('links:read', ...EVERY_ROLE)
  @ApiOkResponse({ description: '{ user, email, roles, csrfToken? }: csrfToken (for the X-CSRF-Token header) only for a browser session' })
  me(@CurrentUser() user: User, @Req() req: AuthenticatedRequest): { user: string; email: string | null; roles: readonly string[]; csrfToken?: string } {
    const raw = req.via === 'session' ? sessionCookieOf(req) : undefined;
    return { user: user.username, email: user.email, roles: user.roles, ...(raw ? { csrfToken: this.sessions.csrfFor(raw) } : {}) };
  }
}
