import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { User } from '@mft/identity';
import { AnyUser } from '../auth/access.decorators.js';
import { BearerAuthGuard } from '../auth/bearer-auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';

@ApiTags('me')
@ApiBearerAuth()
@UseGuards(BearerAuthGuard)
@Controller('api/v1/me')
export class MeController {
  @Get()
  @AnyUser()
  @ApiOkResponse({ description: '{ user, email, roles }' })
  me(@CurrentUser() user: User): { user: string; email: string | null; roles: readonly string[] } {
    return { user: user.username, email: user.email, roles: user.roles };
  }
}
