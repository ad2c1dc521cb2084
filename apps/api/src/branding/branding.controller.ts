import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req, Res, UnsupportedMediaTypeException, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import getRawBody from 'raw-body';
import { z } from 'zod';
import type { Response } from 'express';
import { BrandingService, LOGO_TYPES, logoTypeOf, sendImage, type BrandEntryView, type BrandingView, type LogoType } from '@mft/branding';
import { AppConfigService } from '@mft/config';
import { NotFoundError, TooLargeError } from '@mft/core';
import { userActor, type User } from '@mft/identity';
import { Access, accessContext, type AuthenticatedRequest, AuthGuard, CurrentUser } from '@mft/web';
import { ErrorDto } from '../links/links.dto.js';
import { BrandEntryDocumentDto, BrandEntryDto, BrandingDocumentDto, BrandingDto } from './branding.dto.js';

/** Reads a raw request body of at most `max` bytes: a declared or actual length over it is a 413 at once. */
async function readBody(req: AuthenticatedRequest, max: number): Promise<Buffer> {
  try {
    // With the declared length, a body declared over the limit is refused before a byte is read.
    return await getRawBody(req, { limit: max, length: req.headers['content-length'] });
  } catch (err) {
    if ((err as { type?: string }).type === 'entity.too.large') {
      throw new TooLargeError('branding_logo_too_large', `The logo may be at most ${Math.floor(max / 1024)} KiB.`, { maxBytes: max });
    }
    throw err;
  }
}

/** The logo type of an upload, or the 415 that names the three accepted. */
function uploadType(req: AuthenticatedRequest): LogoType {
  const type = logoTypeOf(req.get('content-type'));
  if (!type) {
    throw new UnsupportedMediaTypeException(`A logo is sent as the request body with Content-Type image/png, image/jpeg or image/svg+xml, not ${req.get('content-type') ?? 'without one'}.`);
  }
  return type;
}

/**
 * The default brand (admins): the document, and its logo. Every change is audited
 * (`branding.changed`, `branding.logo_changed`, `branding.logo_removed`) and shows on every
 * replica within seconds. The logo itself is served publicly at /branding/logo.
 */
@ApiTags('branding')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid API token' })
@ApiResponse({ status: 403, type: ErrorDto, description: 'Only administrators manage the branding' })
@UseGuards(AuthGuard)
@Controller('api/v1/branding')
export class BrandingController {
  constructor(
    private readonly branding: BrandingService,
    private readonly config: AppConfigService,
  ) {}

  @Get()
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Read the branding: name, colours, support email, footer, public URL and logo' })
  @ApiOkResponse({ type: BrandingDto })
  get(@Res({ passthrough: true }) res: Response): Promise<BrandingView> {
    res.setHeader('Cache-Control', 'no-store');
    return this.branding.view();
  }

  @Put()
  @Access('admin', 'admin')
  @ApiOperation({
    summary: 'Replace the branding',
    description: 'The body replaces the whole document: fields left out return to their defaults. The logo is kept (PUT /api/v1/branding/logo changes it).',
  })
  @ApiBody({ type: BrandingDocumentDto })
  @ApiOkResponse({ type: BrandingDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'A bad field, named (branding_invalid)' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'A colour pair below WCAG AA contrast, named with its ratio (branding_contrast)' })
  put(@Body() body: unknown, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<BrandingView> {
    return this.branding.replace(body, accessContext(req, userActor(user)));
  }

  @Put('logo')
  @Access('admin', 'admin')
  @ApiOperation({
    summary: 'Set the logo from the raw request body (image/png, image/jpeg or image/svg+xml)',
    description: 'PNG and JPEG are re-encoded as PNG (metadata stripped, at most 512×512); SVG is sanitised (no script, handlers, foreignObject, or references outside the document). A 64×64 favicon is made from it.',
  })
  @ApiConsumes(...LOGO_TYPES)
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiOkResponse({ type: BrandingDto })
  @ApiResponse({ status: 413, type: ErrorDto, description: 'Larger than branding.maxLogoBytes (512 KiB by default)' })
  @ApiResponse({ status: 415, type: ErrorDto, description: 'Not one of the three image types' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'Not an image of the type it was sent as, damaged, or too many pixels (branding_logo_unreadable)' })
  async putLogo(@Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<BrandingView> {
    const type = uploadType(req);
    const body = await readBody(req, this.config.values.branding.maxLogoBytes);
    return this.branding.setLogo(body, type, accessContext(req, userActor(user)));
  }

  @Delete('logo')
  @HttpCode(204)
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Remove the logo (and the favicon made from it)' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'There is no logo' })
  async deleteLogo(@Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<void> {
    if (!(await this.branding.removeLogo(accessContext(req, userActor(user))))) {
      throw new NotFoundError('branding_logo_not_set', 'There is no logo to remove.');
    }
  }
}

const brandId = z.uuid({ message: 'must be a brand id (a UUID)' });

/**
 * Every brand (admins): the default one and further brands, each served on its own host names
 * (`domains`) and meant for the links of its IdP `groups`. Pages show the brand whose domain is the
 * request's host, else the default.
 */
@ApiTags('branding')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid API token' })
@ApiResponse({ status: 403, type: ErrorDto, description: 'Only administrators manage brands' })
@UseGuards(AuthGuard)
@Controller('api/v1/brands')
export class BrandsController {
  constructor(
    private readonly branding: BrandingService,
    private readonly config: AppConfigService,
  ) {}

  @Get()
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'List the brands: the default first, then the others by position' })
  @ApiOkResponse({ type: [BrandEntryDto] })
  list(): Promise<BrandEntryView[]> {
    return this.branding.list();
  }

  @Post()
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Create a brand with its host names, IdP groups and position' })
  @ApiBody({ type: BrandEntryDocumentDto })
  @ApiCreatedResponse({ type: BrandEntryDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'A bad field, named (branding_invalid)' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'A host name is already served with another brand (brand_domain_taken)' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'A colour pair below WCAG AA contrast (branding_contrast)' })
  create(@Body() body: unknown, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<BrandEntryView> {
    return this.branding.create(body, accessContext(req, userActor(user)));
  }

  @Get(':id')
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Read one brand' })
  @ApiOkResponse({ type: BrandEntryDto })
  @ApiResponse({ status: 404, type: ErrorDto })
  get(@Param('id', { schema: brandId }) id: string): Promise<BrandEntryView> {
    return this.branding.get(id);
  }

  @Put(':id')
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Replace a brand (fields left out return to their defaults; the logo is kept)' })
  @ApiBody({ type: BrandEntryDocumentDto })
  @ApiOkResponse({ type: BrandEntryDto })
  @ApiResponse({ status: 400, type: ErrorDto })
  @ApiResponse({ status: 404, type: ErrorDto })
  @ApiResponse({ status: 409, type: ErrorDto })
  @ApiResponse({ status: 422, type: ErrorDto })
  update(@Param('id', { schema: brandId }) id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<BrandEntryView> {
    return this.branding.update(id, body, accessContext(req, userActor(user)));
  }

  @Delete(':id')
  @HttpCode(204)
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Delete a brand (not the default one)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiResponse({ status: 404, type: ErrorDto })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'The default brand cannot be deleted (brand_is_default)' })
  async remove(@Param('id', { schema: brandId }) id: string, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<void> {
    await this.branding.remove(id, accessContext(req, userActor(user)));
  }

  @Get(':id/logo')
  @Access('admin', 'admin')
  @ApiOperation({
    summary: "A brand's logo, for the administrators' preview",
    description: 'Pages on the brand\'s domains load it from /branding/logo (its logoUrl), which serves the brand of the request\'s host; this serves it on any host.',
  })
  @ApiProduces('image/png', 'image/jpeg', 'image/svg+xml')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'No such brand, or it has no logo' })
  async logo(@Param('id', { schema: brandId }) id: string, @Req() req: AuthenticatedRequest, @Res() res: Response): Promise<void> {
    const logo = await this.branding.logo(id);
    if (!logo) {
      throw new NotFoundError('branding_logo_not_set', 'This brand has no logo.');
    }
    sendImage(req, res, logo.bytes, logo.type, logo.hash);
  }

  @Put(':id/logo')
  @Access('admin', 'admin')
  @ApiOperation({ summary: "Set a brand's logo from the raw request body (as PUT /api/v1/branding/logo)" })
  @ApiConsumes(...LOGO_TYPES)
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiOkResponse({ type: BrandEntryDto })
  @ApiResponse({ status: 404, type: ErrorDto })
  @ApiResponse({ status: 413, type: ErrorDto })
  @ApiResponse({ status: 415, type: ErrorDto })
  @ApiResponse({ status: 422, type: ErrorDto })
  async putLogo(@Param('id', { schema: brandId }) id: string, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<BrandEntryView> {
    const type = uploadType(req);
    const body = await readBody(req, this.config.values.branding.maxLogoBytes);
    return this.branding.setBrandLogo(id, body, type, accessContext(req, userActor(user)));
  }

  @Delete(':id/logo')
  @HttpCode(204)
  @Access('admin', 'admin')
  @ApiOperation({ summary: "Remove a brand's logo (and the favicon made from it)" })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'No such brand, or it has no logo (brand_not_found, branding_logo_not_set)' })
  async deleteLogo(@Param('id', { schema: brandId }) id: string, @Req() req: AuthenticatedRequest, @CurrentUser() user: User): Promise<void> {
    if (!(await this.branding.removeBrandLogo(id, accessContext(req, userActor(user))))) {
      throw new NotFoundError('branding_logo_not_set', 'This brand has no logo to remove.');
    }
  }
}
