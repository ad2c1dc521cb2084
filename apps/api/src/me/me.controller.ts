import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { User } from '@mft/identity';
import { Access, EVERY_ROLE } from '../auth/access.decorators.js';
import { AuthGuard } from '../auth/auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';

@ApiTags('me')
@ApiBearerAuth()
@UseGuards(AuthGuard)
@Controller('api/v1/me')
export class MeController {
  @Get()
  @Access('links:read', ...EVERY_ROLE)
  @ApiOkResponse({ description: '{ user, email, roles }' })
  me(@CurrentUser() user: User): { user: string; email: string | null; roles: readonly string[] } {
    return { user: user.username, email: user.email, roles: user.roles };
  }
}
