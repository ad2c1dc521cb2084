import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { SftpCredentialsService, SSH_PUBLIC_KEY_MAX_LENGTH, userActor, type AppPasswordView, type CreatedAppPassword, type SshKeyView, type User } from '@mft/identity';
import { Access, accessContext, type AuthenticatedRequest, AuthGuard, CurrentUser, EVERY_ROLE } from '@mft/web';
import { ErrorDto } from '../links/links.dto.js';
import { AddSshKeyDto, AppPasswordListDto, CreateAppPasswordDto, CreatedAppPasswordDto, SshKeyDto, SshKeyListDto } from './sftp-credentials.dto.js';

// The shapes; what makes a key or a name acceptable is the service's to say (the CLI goes there too).
const addKey = z
  .object({
    name: z.string({ message: 'must be text' }).max(1000).nullable().optional(),
    publicKey: z.string({ message: 'is required: the one line of your .pub file' }).max(SSH_PUBLIC_KEY_MAX_LENGTH + 1000),
  })
  .strict();
const createAppPassword = z.object({ name: z.string({ message: 'is required: what the app password is for' }).max(1000) }).strict();

/**
 * Your public keys for SFTP sign-in. Adding or revoking one needs a token with the `admin` scope,
 * as creating API tokens does: a credential is never minted by a token that may only send.
 */
@ApiTags('sftp')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid credentials' })
@ApiResponse({ status: 403, type: ErrorDto, description: 'Not allowed' })
@UseGuards(AuthGuard)
@Controller('api/v1/me/ssh-keys')
export class SshKeysController {
  constructor(private readonly credentials: SftpCredentialsService) {}

  @Post()
  @Access('admin', ...EVERY_ROLE)
  @ApiOperation({
    summary: 'Add an SSH public key',
    description: 'Ed25519, ECDSA (P-256, P-384, P-521) or RSA of at least 2048 bits. Sign in to SFTP with your user name and this key.',
  })
  @ApiBody({ type: AddSshKeyDto })
  @ApiCreatedResponse({ type: SshKeyDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'Not an accepted public key (a private key, a certificate, DSA, short RSA, damaged), with what to paste instead' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'The key is registered already (ssh_key_registered)' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'You have as many keys as one person may (ssh_key_limit)' })
  add(@Body({ schema: addKey }) body: z.infer<typeof addKey>, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<SshKeyView> {
    return this.credentials.addKey(user, { name: body.name, publicKey: body.publicKey }, accessContext(req, userActor(user)));
  }

  @Get()
  @Access('links:read', ...EVERY_ROLE)
  @ApiOperation({ summary: 'List your SSH keys', description: 'Live keys, newest first, with their fingerprints and last use.' })
  @ApiOkResponse({ type: SshKeyListDto })
  async list(@CurrentUser() user: User): Promise<{ keys: SshKeyView[] }> {
    return { keys: await this.credentials.listKeys(user) };
  }

  @Delete(':id')
  @HttpCode(204)
  @Access('admin', ...EVERY_ROLE)
  @ApiOperation({ summary: 'Revoke one of your SSH keys', description: 'At once: SFTP refuses it from now on. A key that is not yours or is revoked already answers 404.' })
  @ApiNoContentResponse({ description: 'Revoked' })
  async revoke(@Param('id', { schema: z.uuid() }) id: string, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<void> {
    await this.credentials.revokeKey(user, id, accessContext(req, userActor(user)));
  }
}

/** Your app passwords for SFTP clients that cannot use a key: shown once, stored as argon2id. */
@ApiTags('sftp')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid credentials' })
@ApiResponse({ status: 403, type: ErrorDto, description: 'Not allowed' })
@UseGuards(AuthGuard)
@Controller('api/v1/me/app-passwords')
export class AppPasswordsController {
  constructor(private readonly credentials: SftpCredentialsService) {}

  @Post()
  @Access('admin', ...EVERY_ROLE)
  @ApiOperation({ summary: 'Create an app password', description: 'For SFTP sign-in with your user name. The password is in this answer only.' })
  @ApiBody({ type: CreateAppPasswordDto })
  @ApiCreatedResponse({ type: CreatedAppPasswordDto, description: 'The app password, with the password itself: shown only here' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'You have as many app passwords as one person may (app_password_limit)' })
  create(@Body({ schema: createAppPassword }) body: z.infer<typeof createAppPassword>, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<CreatedAppPassword> {
    return this.credentials.createAppPassword(user, { name: body.name }, accessContext(req, userActor(user)));
  }

  @Get()
  @Access('links:read', ...EVERY_ROLE)
  @ApiOperation({ summary: 'List your app passwords', description: 'Live ones, newest first, with their last use; never the passwords.' })
  @ApiOkResponse({ type: AppPasswordListDto })
  async list(@CurrentUser() user: User): Promise<{ appPasswords: AppPasswordView[] }> {
    return { appPasswords: await this.credentials.listAppPasswords(user) };
  }

  @Delete(':id')
  @HttpCode(204)
  @Access('admin', ...EVERY_ROLE)
  @ApiOperation({ summary: 'Revoke one of your app passwords', description: 'At once: SFTP refuses it from now on. One that is not yours or is revoked already answers 404.' })
  @ApiNoContentResponse({ description: 'Revoked' })
  async revoke(@Param('id', { schema: z.uuid() }) id: string, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<void> {
    await this.credentials.revokeAppPassword(user, id, accessContext(req, userActor(user)));
  }
}
