import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { userActor, type User } from '@mft/identity';
import { MAX_BODY_BYTES, MAX_SUBJECT_SOURCE_CHARS, MailTemplateService, type MailTemplateSummary, type MailTemplateVersionView, type MailTemplateView, type RenderedMail } from '@mft/mail';
import { Access, accessContext, type AuthenticatedRequest, AuthGuard, CurrentUser } from '@mft/web';
import { ErrorDto } from '../links/links.dto.js';
import {
  MailTemplateDto,
  MailTemplateErrorDto,
  MailTemplatePreviewRequestDto,
  MailTemplateSourcesDto,
  MailTemplateSummaryDto,
  MailTemplateVersionDto,
  RenderedMailDto,
} from './mail-templates.dto.js';

const subject = z.string().max(MAX_SUBJECT_SOURCE_CHARS, { message: `must be at most ${MAX_SUBJECT_SOURCE_CHARS} characters` });
const body = z.string().max(MAX_BODY_BYTES, { message: `must be at most ${MAX_BODY_BYTES} characters` });
const saveBody = z.object({ subject, text: body, html: body }).strict();
const previewBody = z.object({ subject: subject.optional(), text: body.optional(), html: body.optional() }).strict();
const templateName = z.string().min(1).max(100);
const versionParam = z.coerce.number({ message: 'must be a version number' }).int().min(1).max(2_147_483_647);
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
});

const IF_MATCH = { name: 'If-Match', required: false, description: 'The ETag of the version the change is based on; another version in force answers 412' };

/**
 * The email templates (admins): the subject, text and HTML of each message the gateway sends,
 * editable with a preview from sample data, checked on save, versioned and audited. The version of
 * a template travels in its ETag; `If-Match` makes a change conditional on it.
 */
@ApiTags('mail')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid API token' })
@ApiResponse({ status: 403, type: ErrorDto, description: 'Only administrators manage email templates' })
@UseGuards(AuthGuard)
@Controller('api/v1/mail/templates')
export class MailTemplatesController {
  constructor(private readonly templates: MailTemplateService) {}

  @Get()
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'List the email templates: what each is for, its variables, its version and whether it is customised' })
  @ApiOkResponse({ type: [MailTemplateSummaryDto] })
  list(): Promise<MailTemplateSummary[]> {
    return this.templates.list();
  }

  @Get(':name')
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Read one template: each part in force and its built-in default; the ETag is its version' })
  @ApiOkResponse({ type: MailTemplateDto })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'No such template (mail_template_not_found)' })
  async get(@Param('name', { schema: templateName }) name: string, @Res({ passthrough: true }) res: Response): Promise<MailTemplateView> {
    return versioned(res, await this.templates.get(name));
  }

  @Put(':name')
  @Access('admin', 'admin')
  @ApiOperation({
    summary: 'Save a new version of a template (subject, text and HTML)',
    description: 'Each part is checked first. A part equal to the built-in file is stored as the file. Saving the parts in force makes no new version.',
  })
  @ApiHeader(IF_MATCH)
  @ApiBody({ type: MailTemplateSourcesDto })
  @ApiOkResponse({ type: MailTemplateDto, description: 'The template now in force; ETag: its version' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'Not a valid request (a missing part, a NUL character, a part too long)' })
  @ApiResponse({ status: 404, type: ErrorDto })
  @ApiResponse({ status: 412, type: ErrorDto, description: 'If-Match names another version than the one in force (mail_template_version_changed)' })
  @ApiResponse({ status: 422, type: MailTemplateErrorDto, description: 'A syntax error, an unknown variable or a forbidden construct, naming the part and line' })
  async save(
    @Param('name', { schema: templateName }) name: string,
    @Body({ schema: saveBody }) parts: z.output<typeof saveBody>,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
    @CurrentUser() user: User,
  ): Promise<MailTemplateView> {
    return versioned(res, await this.templates.save(name, parts, accessContext(req, userActor(user)), expectedVersion(req)));
  }

  @Post(':name/preview')
  @HttpCode(200)
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Render a template with sample data: the parts given (unsaved), the ones in force for the others' })
  @ApiBody({ type: MailTemplatePreviewRequestDto })
  @ApiOkResponse({ type: RenderedMailDto })
  @ApiResponse({ status: 400, type: ErrorDto })
  @ApiResponse({ status: 404, type: ErrorDto })
  @ApiResponse({ status: 422, type: MailTemplateErrorDto, description: 'The same checks as a save' })
  preview(@Param('name', { schema: templateName }) name: string, @Body({ schema: previewBody }) parts: z.output<typeof previewBody>): Promise<RenderedMail> {
    return this.templates.preview(name, Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)));
  }

  @Get(':name/versions')
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'List the versions of a template, newest first: who saved, restored or reset it, and when' })
  @ApiOkResponse({ type: [MailTemplateVersionDto] })
  @ApiResponse({ status: 404, type: ErrorDto })
  versions(@Param('name', { schema: templateName }) name: string, @Query({ schema: listQuery }) q: z.output<typeof listQuery>): Promise<MailTemplateVersionView[]> {
    return this.templates.versions(name, q.limit, q.before ?? null);
  }

  @Post(':name/versions/:version/restore')
  @HttpCode(200)
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Put an earlier version of a template back in force (as a new version)' })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: MailTemplateDto })
  @ApiResponse({ status: 404, type: ErrorDto, description: 'No such template or version' })
  @ApiResponse({ status: 412, type: ErrorDto })
  @ApiResponse({ status: 422, type: MailTemplateErrorDto, description: 'The earlier version no longer passes the checks' })
  async restore(
    @Param('name', { schema: templateName }) name: string,
    @Param('version', { schema: versionParam }) version: number,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
    @CurrentUser() user: User,
  ): Promise<MailTemplateView> {
    return versioned(res, await this.templates.restore(name, version, accessContext(req, userActor(user)), expectedVersion(req)));
  }

  @Delete(':name')
  @Access('admin', 'admin')
  @ApiOperation({ summary: 'Reset a template to the built-in files (as a new version; the history is kept)' })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: MailTemplateDto })
  @ApiResponse({ status: 404, type: ErrorDto })
  @ApiResponse({ status: 412, type: ErrorDto })
  async reset(@Param('name', { schema: templateName }) name: string, @Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response, @CurrentUser() user: User): Promise<MailTemplateView> {
    return versioned(res, await this.templates.reset(name, accessContext(req, userActor(user)), expectedVersion(req)));
  }
}

const etagOf = (view: MailTemplateView): string => `"mail-template-${view.name}-v${view.version}"`;

/** The version an `If-Match` names; -1 (none of ours) when it names another template or nothing we made, so the change answers 412. */
function expectedVersion(req: AuthenticatedRequest): number | undefined {
  const ifMatch = req.get('if-match')?.trim();
  if (!ifMatch || ifMatch === '*') {
    return undefined;
  }
  const name = req.params['name'] ?? '';
  const m = /^(?:W\/)?"mail-template-([a-z-]{1,100})-v(\d{1,10})"$/.exec(ifMatch);
  return m && m[1] === name ? Number(m[2]) : -1;
}

function versioned(res: Response, view: MailTemplateView): MailTemplateView {
  res.setHeader('ETag', etagOf(view));
  res.setHeader('Cache-Control', 'no-store');
  return view;
}
