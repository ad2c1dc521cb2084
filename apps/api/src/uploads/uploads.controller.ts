import { Controller, Delete, Head, HttpCode, HttpException, Options, Param, Patch, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { InvalidInputError, PreconditionFailedError } from '@mft/core';
import type { User } from '@mft/identity';
import { ResumableUploadService, type ResumableUploadRow } from '@mft/links';
import { Access, type AuthenticatedRequest, AuthGuard, CurrentUser, LINK_ROLES } from '@mft/web';
import { ErrorDto } from '../links/links.dto.js';

const TUS_VERSION = '1.0.0';
const TUS_EXTENSIONS = 'creation,termination,expiration';
const uuid = z.uuid({ message: 'must be an upload id (a UUID)' });

/** A header that must be a whole number of bytes. */
function byteCount(req: AuthenticatedRequest, name: string): number {
  const raw = req.get(name);
  if (raw === undefined || !/^\d{1,15}$/.test(raw.trim())) {
    throw new InvalidInputError(`${name.toLowerCase().replace(/-/g, '_')}_invalid`, `Send the ${name} header as a whole number of bytes (0 or more).`);
  }
  return Number(raw.trim());
}

/**
 * Resumable uploads by the tus 1.0 protocol (core, creation, termination, expiration).
 *
 * The small tus subset is implemented here rather than with @tus/server: its handlers answer
 * outside Nest (so not through the access guard, the CSRF check and the error shape every other
 * route gives), its DataStore appends to one object per upload, which S3 and SFTP staged writes
 * cannot do, and its locker would need a PostgreSQL lock held across a whole request. Here each
 * PATCH is one committed segment and the offset and the writer mark live in PostgreSQL, so any
 * replica continues an upload another started.
 */
@ApiTags('uploads')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid API token' })
@UseGuards(AuthGuard)
@Controller('api/v1/uploads')
export class UploadsController {
  constructor(private readonly uploads: ResumableUploadService) {}

  @Options()
  @HttpCode(204)
  @Access('links:write', ...LINK_ROLES)
  @ApiOperation({ summary: 'What this tus server supports: version, extensions and your largest upload (Tus-Max-Size)' })
  @ApiResponse({ status: 204, description: 'Tus-Version, Tus-Extension and Tus-Max-Size headers' })
  async options(@Res({ passthrough: true }) res: Response, @CurrentUser() user: User): Promise<void> {
    res.setHeader('Tus-Resumable', TUS_VERSION);
    res.setHeader('Tus-Version', TUS_VERSION);
    res.setHeader('Tus-Extension', TUS_EXTENSIONS);
    res.setHeader('Tus-Max-Size', String(await this.uploads.maxSize(user)));
  }

  @Post()
  @HttpCode(201)
  @Access('links:write', ...LINK_ROLES)
  @ApiOperation({
    summary: 'Start a resumable upload (tus creation)',
    description:
      'Headers: Tus-Resumable: 1.0.0, Upload-Length (bytes), Upload-Metadata with "filename" (and optionally "filetype"), base64. The answer\'s Location is the upload\'s address; Upload-Expires says until when it may be finished and used.',
  })
  @ApiHeader({ name: 'Upload-Length', required: true })
  @ApiHeader({ name: 'Upload-Metadata', required: true })
  @ApiResponse({ status: 201, description: 'Created; Location and Upload-Expires headers' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'A missing or malformed header' })
  @ApiResponse({ status: 412, type: ErrorDto, description: 'Tus-Resumable is not 1.0.0' })
  @ApiResponse({ status: 413, type: ErrorDto, description: 'Upload-Length is over the installation\'s limit' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'Upload-Length is over the policy\'s limit' })
  async create(@Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response, @CurrentUser() user: User): Promise<void> {
    tus(req, res);
    if (req.get('upload-defer-length') !== undefined) {
      throw new InvalidInputError('upload_length_required', 'Declare the size with Upload-Length when the upload starts: a deferred length is not supported.');
    }
    const created = await this.uploads.create(user, byteCount(req, 'Upload-Length'), req.get('upload-metadata'));
    res.setHeader('Location', `/api/v1/uploads/${created.id}`);
    state(res, created);
  }

  @Head(':id')
  @Access('links:write', ...LINK_ROLES)
  @ApiOperation({ summary: 'Where an upload stands: Upload-Offset (bytes received), Upload-Length, Upload-Expires' })
  @ApiResponse({ status: 200, description: 'Upload-Offset, Upload-Length, Upload-Metadata and Upload-Expires headers' })
  @ApiResponse({ status: 404, description: 'No such upload of yours' })
  async head(@Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response, @Param('id', { schema: uuid }) id: string, @CurrentUser() user: User): Promise<void> {
    tus(req, res);
    const u = await this.uploads.get(user, id);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Upload-Length', String(u.length));
    if (u.metadata !== '') {
      res.setHeader('Upload-Metadata', u.metadata);
    }
    state(res, u);
  }

  @Patch(':id')
  @HttpCode(204)
  @Access('links:write', ...LINK_ROLES)
  @ApiOperation({
    summary: 'Append bytes to an upload (tus core)',
    description:
      'Content-Type: application/offset+octet-stream and Upload-Offset equal to the offset HEAD reports. A request cut off midway keeps the bytes that arrived; continue from the offset HEAD then reports.',
  })
  @ApiResponse({ status: 204, description: 'Stored; Upload-Offset is the new offset' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'No such upload of yours, or it has expired' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'Upload-Offset is not the upload\'s offset (upload_offset_mismatch)' })
  @ApiResponse({ status: 413, type: ErrorDto, description: 'More bytes than the upload\'s declared Upload-Length' })
  @ApiResponse({ status: 415, type: ErrorDto, description: 'Content-Type is not application/offset+octet-stream' })
  @ApiResponse({ status: 423, type: ErrorDto, description: 'Another request is writing to this upload (upload_busy)' })
  async append(@Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response, @Param('id', { schema: uuid }) id: string, @CurrentUser() user: User): Promise<void> {
    tus(req, res);
    if ((req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase() !== 'application/offset+octet-stream') {
      throw new HttpException({ message: 'Send the bytes of a PATCH with "Content-Type: application/offset+octet-stream".' }, 415);
    }
    const u = await this.uploads.write(user, id, byteCount(req, 'Upload-Offset'), req);
    state(res, u);
  }

  @Delete(':id')
  @HttpCode(204)
  @Access('links:write', ...LINK_ROLES)
  @ApiOperation({ summary: 'Delete an upload and the bytes received so far (tus termination)' })
  @ApiResponse({ status: 204, description: 'Deleted' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'No such upload of yours' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'The upload is being made into a link right now' })
  async terminate(@Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response, @Param('id', { schema: uuid }) id: string, @CurrentUser() user: User): Promise<void> {
    tus(req, res);
    await this.uploads.terminate(user, id);
  }
}

/** Every tus answer names the version; a request for another version is refused (412). */
function tus(req: AuthenticatedRequest, res: Response): void {
  res.setHeader('Tus-Resumable', TUS_VERSION);
  if (req.get('tus-resumable') !== TUS_VERSION) {
    res.setHeader('Tus-Version', TUS_VERSION);
    throw new PreconditionFailedError('tus_version_unsupported', `Send the header "Tus-Resumable: ${TUS_VERSION}": this server speaks tus ${TUS_VERSION}.`);
  }
}

function state(res: Response, u: ResumableUploadRow): void {
  res.setHeader('Upload-Offset', String(u.offset));
  res.setHeader('Upload-Expires', u.expiresAt.toUTCString());
}
