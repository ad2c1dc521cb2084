import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { userActor, type User } from '@mft/identity';
import { DropFolderService, LinkService, type DropFolderView, type UsableDropFolderView } from '@mft/links';
import { Access, accessContext, type AuthenticatedRequest, AuthGuard, CurrentUser, LINK_ROLES } from '@mft/web';
import { ErrorDto } from '../links/links.dto.js';
import { CreateDropFolderDto, DropFolderDto, DropFolderListDto, UsableDropFolderListDto } from './drop-folders.dto.js';

const dropFolderId = z.uuid({ message: 'must be a drop folder id (a UUID)' });

/**
 * Drop folders (admins): `/drop/<name>/` in the SFTP tree of the roles and groups named, where an
 * uploaded file becomes a send link to fixed recipients with fixed options and message.
 */
@ApiTags('drop-folders')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid API token' })
@ApiResponse({ status: 403, type: ErrorDto, description: 'Not allowed' })
@UseGuards(AuthGuard)
@Controller('api/v1/drop-folders')
export class DropFoldersController {
  constructor(private readonly dropFolders: DropFolderService) {}

  @Post()
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Create a drop folder: fixed recipients, link options and message, for the roles and groups named' })
  @ApiBody({ type: CreateDropFolderDto })
  @ApiCreatedResponse({ type: DropFolderDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'A bad name, recipient, option, role or group, each named (drop_folder_invalid)' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'The name is taken, whatever its case (drop_folder_name_taken)' })
  create(@Body() body: unknown, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<DropFolderView> {
    return this.dropFolders.create(body, user, accessContext(req, userActor(user)));
  }

  @Get()
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'List the drop folders, by name' })
  @ApiOkResponse({ type: DropFolderListDto })
  async list(): Promise<{ dropFolders: DropFolderView[] }> {
    return { dropFolders: await this.dropFolders.list() };
  }

  @Get(':id')
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Read one drop folder' })
  @ApiOkResponse({ type: DropFolderDto })
  @ApiResponse({ status: 404, type: ErrorDto })
  get(@Param('id', { schema: dropFolderId }) id: string): Promise<DropFolderView> {
    return this.dropFolders.get(id);
  }

  @Patch(':id')
  @Access('admin', 'admin')
  @ApiOperation({
    summary: 'Change a drop folder: the fields given replace the stored ones',
    description:
      'Fields left out keep their value; options are replaced as a whole (options without "password" keep the password, "password": null removes it); "message": null removes the message. Links already created from the folder do not change.',
  })
  @ApiBody({ type: CreateDropFolderDto, description: 'Any of the fields of POST' })
  @ApiOkResponse({ type: DropFolderDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'A bad field, named (drop_folder_invalid)' })
  @ApiResponse({ status: 404, type: ErrorDto })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'The new name is taken (drop_folder_name_taken)' })
  update(@Param('id', { schema: dropFolderId }) id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<DropFolderView> {
    return this.dropFolders.update(id, body, user, accessContext(req, userActor(user)));
  }

  @Delete(':id')
  @HttpCode(204)
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Delete a drop folder (links already created from it live on)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiResponse({ status: 404, type: ErrorDto })
  async remove(@Param('id', { schema: dropFolderId }) id: string, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<void> {
    await this.dropFolders.remove(id, user, accessContext(req, userActor(user)));
  }
}

/** The drop folders the signed-in person may use: the staff app and scripts show them. */
@ApiTags('drop-folders')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid API token' })
@ApiResponse({ status: 403, type: ErrorDto, description: 'Not allowed' })
@UseGuards(AuthGuard)
@Controller('api/v1/me/drop-folders')
export class MyDropFoldersController {
  constructor(
    private readonly dropFolders: DropFolderService,
    private readonly links: LinkService,
  ) {}

  @Get()
  @Access('links:read', ...LINK_ROLES)
  @ApiOperation({
    summary: 'List the drop folders you may use over SFTP',
    description:
      'The folders naming one of your roles or IdP groups (admins: every folder), by name, each with its path in your SFTP tree, its recipients, message and link options (never the password). Someone the policy does not let create send links (creators.send) is told so (422).',
  })
  @ApiOkResponse({ type: UsableDropFolderListDto })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'The policy does not let you create send links' })
  async list(@CurrentUser() user: User): Promise<{ dropFolders: UsableDropFolderView[] }> {
    await this.links.assertMayCreate(user, 'send');
    return { dropFolders: await this.dropFolders.usableBy(user) };
  }
}
