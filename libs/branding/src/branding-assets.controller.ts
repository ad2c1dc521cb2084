import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { NotFoundError } from '@mft/core';
import { BrandingService } from './branding.service.js';

/** What anyone may read of the brand (it is on every public page anyway): no secret, no audit detail. */
export interface PublicBrand {
  readonly name: string;
  readonly primaryColor: string;
  readonly accentColor: string;
  readonly supportEmail: string | null;
  readonly footer: string | null;
  readonly logoUrl: string | null;
  /** The favicon (made from the logo; the built-in one without a logo). */
  readonly faviconUrl: string;
  /** The stylesheet with the brand's colours. */
  readonly themeUrl: string;
}

/** Sends an image of a brand: its exact type, never sniffed, and inert even when opened on its own. */
export function sendImage(req: Request, res: Response, bytes: Buffer, type: string, hash: string): void {
  const etag = `"${hash}"`;
  res.setHeader('Content-Type', type);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // Opened as a document (an SVG in its own tab), the image runs nothing and loads nothing.
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  res.setHeader('Content-Disposition', 'inline');
  res.setHeader('ETag', etag);
  // A versioned URL (?v=<hash>) never changes; the bare one is checked again each time.
  res.setHeader('Cache-Control', req.query.v === hash ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate');
  if (req.get('if-none-match') === etag) {
    res.status(304).end();
    return;
  }
  res.setHeader('Content-Length', String(bytes.length));
  res.end(bytes);
}

/**
 * The brand's public side, without sign-in: `/branding.json` for the staff app (which shows the
 * brand before and beside its API calls), the logo, the favicon made from it, and
 * `/branding/theme.css` (the colours, as a stylesheet: the pages' CSP allows no inline style).
 * Served by every app that shows pages.
 */
@ApiExcludeController()
@Controller()
export class BrandingAssetsController {
  constructor(private readonly branding: BrandingService) {}

  @Get('branding.json')
  async json(@Res({ passthrough: true }) res: Response): Promise<PublicBrand> {
    const b = await this.branding.pageBrand();
    res.setHeader('Cache-Control', 'no-cache');
    const assets = this.branding.pageAssets();
    return { name: b.name, primaryColor: b.primaryColor, accentColor: b.accentColor, supportEmail: b.supportEmail, footer: b.footer, logoUrl: b.logoUrl, faviconUrl: assets.faviconUrl, themeUrl: assets.themeUrl };
  }

  @Get('branding/logo')
  async logo(@Req() req: Request, @Res() res: Response): Promise<void> {
    const logo = await this.branding.logo();
    if (!logo) {
      throw new NotFoundError('branding_logo_not_set', 'No logo has been set for this gateway.');
    }
    sendImage(req, res, logo.bytes, logo.type, logo.hash);
  }

  @Get('branding/favicon')
  async favicon(@Req() req: Request, @Res() res: Response): Promise<void> {
    const icon = await this.branding.favicon();
    if (!icon) {
      throw new NotFoundError('branding_logo_not_set', 'No logo has been set for this gateway, so there is no favicon made from it.');
    }
    sendImage(req, res, icon.bytes, 'image/png', icon.hash);
  }

  @Get('branding/theme.css')
  async theme(@Req() req: Request, @Res() res: Response): Promise<void> {
    const { css, version } = await this.branding.themeCss();
    res.setHeader('Content-Type', 'text/css; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', req.query.v === version ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.setHeader('ETag', `"theme-${version}"`);
    res.end(css);
  }
}
