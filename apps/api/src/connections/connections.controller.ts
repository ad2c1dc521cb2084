import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { userActor, type User } from '@mft/identity';
import { LinkService } from '@mft/links';
import { MAX_LIST_LIMIT, type ConnectionEntry, type ConnectionTestResult, type ConnectionView, type SendStorageSetting, type ShareSource } from '@mft/storage';
import { Access, accessContext, type AuthenticatedRequest, AuthGuard, CurrentUser } from '@mft/web';
import { ErrorDto } from '../links/links.dto.js';
import { ConnectionsService } from './connections.service.js';

const connectionId = z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a connection id');
const entriesQuery = z
  .object({
    path: z.string().max(4096).default('/'),
    cursor: z.string().min(1).max(4096).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
  })
  .strict();

/** GET /api/v1/share-sources takes no parameters: an unknown one is a mistake, said so (400). */
const shareSourcesQuery = z.object({}).strict();

const BODY_DESCRIPTION =
  '{ name, kind: "local"|"s3"|"sftp", settings, secrets? }. local: settings { root }; s3: settings { bucket, prefix?, region, endpoint?, forcePathStyle?, serverSideEncryption? }, secrets { accessKeyId, secretAccessKey }; sftp: settings { host, port, username, root, hostKeySha256 }, secrets { password } or { privateKey, passphrase? }. Any kind: settings.shareRoots [{ path, roles, groups }], settings.allowLoopback.';

/**
 * Storage connections (admins): where shared files live and where send copies are kept. Secrets
 * go in and never come out: no answer, log line or audit event carries them.
 */
@ApiTags('connections')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid API token' })
@ApiResponse({ status: 403, type: ErrorDto, description: 'Not allowed' })
@UseGuards(AuthGuard)
@Controller('api/v1/connections')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Post()
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Create a storage connection (checked and reached before it is saved)' })
  @ApiBody({ description: BODY_DESCRIPTION, schema: { type: 'object' } })
  @ApiCreatedResponse({ description: '{ id, name, kind, settings, status, statusMessage, checkedAt, hasSecrets, builtin, createdAt, updatedAt, createdBy }; never the secrets' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'A malformed field, named (connection_invalid)' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'The name is taken (connection_name_taken)' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'A refused endpoint or unreachable storage, with the field named in `field`' })
  create(@Body() body: unknown, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<ConnectionView> {
    return this.connections.create(body, user, accessContext(req, userActor(user)));
  }

  @Get()
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'List storage connections' })
  @ApiOkResponse({ description: 'An array of connections (as POST answers them)' })
  list(): Promise<ConnectionView[]> {
    return this.connections.list();
  }

  @Get(':id')
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Read one storage connection' })
  @ApiOkResponse({ description: 'The connection, without its secrets' })
  @ApiResponse({ status: 404, type: ErrorDto })
  get(@Param('id', { schema: connectionId }) id: string): Promise<ConnectionView> {
    return this.connections.get(id);
  }

  @Patch(':id')
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Change a connection: name, settings (replaced as a whole) or secrets (replaced when given)' })
  @ApiBody({ description: '{ name?, settings?, secrets? }; the kind cannot change', schema: { type: 'object' } })
  @ApiOkResponse({ description: 'The connection now' })
  @ApiResponse({ status: 400, type: ErrorDto })
  @ApiResponse({ status: 404, type: ErrorDto })
  @ApiResponse({ status: 409, type: ErrorDto })
  @ApiResponse({ status: 422, type: ErrorDto })
  update(@Param('id', { schema: connectionId }) id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<ConnectionView> {
    return this.connections.update(id, body, accessContext(req, userActor(user)));
  }

  @Delete(':id')
  @HttpCode(204)
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Delete a connection nothing needs any more' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiResponse({ status: 404, type: ErrorDto })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'It is the send storage (connection_is_send_storage), or links, copies or uploads still use it (connection_in_use)' })
  async remove(@Param('id', { schema: connectionId }) id: string, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<void> {
    await this.connections.remove(id, accessContext(req, userActor(user)));
  }

  @Post(':id/test')
  @HttpCode(200)
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Check the endpoint and reach the storage now' })
  @ApiOkResponse({ description: '{ ok, message }: message says what happened (for instance "host key mismatch" or "address refused")' })
  @ApiResponse({ status: 404, type: ErrorDto })
  test(@Param('id', { schema: connectionId }) id: string, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<ConnectionTestResult> {
    return this.connections.test(id, accessContext(req, userActor(user)));
  }

  @Get(':id/entries')
  @Access('links:read', 'admin', 'manager', 'employee')
  @ApiOperation({ summary: 'Browse a folder of a connection you may share from (its share roots decide; admins always)' })
  @ApiOkResponse({ description: '{ entries: [{ name, path, kind: "file"|"folder", size, modifiedAt (null for a folder of an S3 connection) }], next }: pass next as ?cursor= for the following page' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'A malformed path or cursor' })
  @ApiResponse({ status: 403, type: ErrorDto, description: 'Not in a share root of yours (share_path_forbidden)' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'No such connection or folder' })
  entries(
    @Param('id', { schema: connectionId }) id: string,
    @Query({ schema: entriesQuery }) q: z.output<typeof entriesQuery>,
    @CurrentUser() user: User,
  ): Promise<{ entries: ConnectionEntry[]; next: string | null }> {
    return this.connections.entries(id, q.path, q.cursor ?? null, q.limit, user);
  }
}

/** Runtime settings (admins): which connection holds the copies of new send links. */
@ApiTags('settings')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid API token' })
@ApiResponse({ status: 403, type: ErrorDto, description: 'Not allowed' })
@UseGuards(AuthGuard)
@Controller('api/v1/settings')
export class SettingsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get('send-storage')
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Where copies of new send links are kept' })
  @ApiOkResponse({ description: '{ connectionId, updatedAt, updatedBy } (connectionId "default" and nulls until one is chosen)' })
  sendStorage(): Promise<SendStorageSetting> {
    return this.connections.sendStorage();
  }

  @Put('send-storage')
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Choose where copies of new send links are kept (the connection must answer first)' })
  @ApiBody({ schema: { type: 'object', properties: { connectionId: { type: 'string' } }, required: ['connectionId'] } })
  @ApiOkResponse({ description: '{ connectionId, updatedAt, updatedBy }' })
  @ApiResponse({ status: 400, type: ErrorDto })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'No such connection, or it does not answer (field: connectionId)' })
  setSendStorage(@Body() body: unknown, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<SendStorageSetting> {
    return this.connections.setSendStorage(body, user, accessContext(req, userActor(user)));
  }
}

/** One connection someone may share from (documentation of GET /api/v1/share-sources). */
export class ShareSourceDto {
  @ApiProperty({ description: 'The connection, for /api/v1/connections/{id}/entries and the connectionId of a share link' }) connectionId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['local', 's3', 'sftp'] }) kind!: string;
  @ApiProperty({ type: [String], description: 'The folders of the connection you may share from (and anything inside them), such as "/docs"; "/" for all of it' }) roots!: string[];
}

/** Where the signed-in person may share from: the staff app's Share page starts here. */
@ApiTags('connections')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid API token' })
@ApiResponse({ status: 403, type: ErrorDto, description: 'Not allowed' })
@UseGuards(AuthGuard)
@Controller('api/v1/share-sources')
export class ShareSourcesController {
  constructor(
    private readonly connections: ConnectionsService,
    private readonly links: LinkService,
  ) {}

  @Get()
  @Access('links:read', 'admin', 'manager', 'employee')
  @ApiOperation({
    summary: 'List the storage connections and folders you may share from',
    description:
      'The connections whose share roots name one of your roles or groups, each with the outermost of those roots (admins: every connection, from "/"). Never a connection\'s settings or secrets, and never the folder of send-link copies. Browse a root with GET /api/v1/connections/{connectionId}/entries?path=<root>. Someone the policy does not let create share links (creators.share) is told so here (422), before browsing.',
  })
  @ApiOkResponse({ type: [ShareSourceDto], description: '[{ connectionId, name, kind, roots }], sorted by name; empty when you may share from nowhere' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'An unknown query parameter' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'The policy does not let you create share links (policy_creators_share)' })
  async list(@Query({ schema: shareSourcesQuery }) _q: z.output<typeof shareSourcesQuery>, @CurrentUser() user: User): Promise<ShareSource[]> {
    await this.links.assertMayCreate(user, 'share');
    return this.connections.shareSources(user);
  }
}
