import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { User } from '@mft/identity';
import { Access, AuthGuard, CurrentUser, EVERY_ROLE } from '@mft/web';

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
