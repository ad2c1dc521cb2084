import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { ForbiddenError } from '@mft/core';
import { hasRole, userActor, type User } from '@mft/identity';
import { LinkComplianceService, type ComplianceReport } from '@mft/links';
import { policySchema, PolicyService, type CurrentPolicy, type EffectivePolicy, type PolicyDocument, type PolicyVersion } from '@mft/policy';
import { Access, accessContext, type AuthenticatedRequest, AuthGuard, CurrentUser, LINK_ROLES } from '@mft/web';
import { ErrorDto } from '../links/links.dto.js';

/** The policy document's JSON schema, for the OpenAPI document (the same zod schema validates requests). */
const POLICY_JSON_SCHEMA = z.toJSONSchema(policySchema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

const putQuery = z.object({
  retroactive: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().min(1).optional(),
});
const effectiveQuery = z.object({ user: z.string().min(1).max(100).optional() });
const versionParam = z.coerce.number({ message: 'must be a version number' }).int().min(1);

/**
 * The organisation's link policy (admins): read, replace (optionally retroactively), dry-run, and
 * its history. The bodies of GET and PUT are the policy document itself; its version travels in
 * the ETag, and `If-Match` makes a replacement conditional on the version it was based on.
 */
@ApiTags('policy')
@ApiBearerAuth()
@ApiResponse({ status: 401, type: ErrorDto, description: 'Missing or invalid API token' })
@UseGuards(AuthGuard)
@Controller('api/v1/policy')
export class PolicyController {
  constructor(
    private readonly policies: PolicyService,
    private readonly compliance: LinkComplianceService,
  ) {}

  @Get()
  @Access('admin', 'admin')
  @ApiOkResponse({ schema: POLICY_JSON_SCHEMA, description: 'The policy in force. Headers: ETag (its version), X-Policy-Source (default, api or file) and, while a policy file is authoritative, X-Policy-File (its path, percent-encoded like a URI).' })
  async get(@Res({ passthrough: true }) res: Response): Promise<PolicyDocument> {
    const current = await this.policies.current();
    versionHeaders(res, current);
    return current.document;
  }

  @Put()
  @Access('admin', 'admin')
  @ApiBody({ schema: POLICY_JSON_SCHEMA })
  @ApiOkResponse({ schema: POLICY_JSON_SCHEMA, description: 'The policy now in force. With ?retroactive=true, X-Policy-Links-Shortened and X-Policy-Links-Revoked count what changed.' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'Not a valid policy: every bad key is named' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'The policy is managed as code (config/policy.yaml)' })
  @ApiResponse({ status: 412, type: ErrorDto, description: 'If-Match names another version than the one in force' })
  @ApiResponse({ status: 422, type: ErrorDto, description: 'A group override is looser than the organisation policy' })
  async put(
    @Body() body: unknown,
    @Query({ schema: putQuery }) q: z.output<typeof putQuery>,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
    @CurrentUser() user: User,
  ): Promise<PolicyDocument> {
    const ifMatch = req.get('if-match');
    const { current, report } = await this.compliance.replacePolicy(body, accessContext(req, userActor(user)), {
      retroactive: q.retroactive,
      ...(ifMatch && ifMatch.trim() !== '*' ? { expectedVersion: versionOfEtag(ifMatch) } : {}),
    });
    versionHeaders(res, current);
    if (report) {
      res.setHeader('X-Policy-Links-Shortened', String(report.violations.filter((v) => v.action === 'shorten_expiry').length));
      res.setHeader('X-Policy-Links-Revoked', String(report.violations.filter((v) => v.action === 'revoke').length));
    }
    return current.document;
  }

  @Post('dry-run')
  @HttpCode(200)
  @Access('admin', 'admin')
  @ApiBody({ schema: POLICY_JSON_SCHEMA })
  @ApiOkResponse({ description: '{ checked, violations: [{ linkId, owner, kind, createdAt, expiresAt, rules: [{ rule, code, message }], action, newExpiresAt }] }' })
  @ApiResponse({ status: 400, type: ErrorDto })
  @ApiResponse({ status: 422, type: ErrorDto })
  dryRun(@Body() body: unknown): Promise<ComplianceReport> {
    return this.compliance.check(this.policies.validate(body));
  }

  @Get('effective')
  @Access('links:read', ...LINK_ROLES)
  @ApiOkResponse({ description: '{ user, groups, policy }: the policy that applies to you (admins: ?user=<name> for anyone), group overrides included' })
  async effective(@Query({ schema: effectiveQuery }) q: z.output<typeof effectiveQuery>, @CurrentUser() user: User): Promise<{ user: string; groups: string[]; policy: EffectivePolicy }> {
    if (q.user !== undefined && q.user !== user.username && !hasRole(user, 'admin')) {
      throw new ForbiddenError('policy_effective_other_user', 'Only administrators can see the policy of another user.');
    }
    return this.policies.effectiveForUsername(q.user ?? user.username);
  }

  @Get('versions')
  @Access('admin', 'admin')
  @ApiOkResponse({ description: 'Versions, newest first: [{ version, source, createdAt, createdBy, retroactive, diff: [{ path, from, to }] }]' })
  async versions(@Query({ schema: listQuery }) q: z.output<typeof listQuery>): Promise<Array<Omit<PolicyVersion, 'document'>>> {
    const list = await this.policies.versions(q.limit, q.before ?? null);
    return list.map(({ document: _document, ...meta }) => meta);
  }

  @Get('versions/:version')
  @Access('admin', 'admin')
  @ApiOkResponse({ description: '{ version, source, createdAt, createdBy, retroactive, diff, document }' })
  @ApiResponse({ status: 404, type: ErrorDto })
  version(@Param('version', { schema: versionParam }) version: number): Promise<PolicyVersion> {
    return this.policies.version(version);
  }
}

const etagOf = (version: number): string => `"policy-v${version}"`;

/** The version an `If-Match` names; -1 (no version) when it names none of ours, so the save answers 412. */
function versionOfEtag(ifMatch: string): number {
  const m = /^"policy-v(\d{1,15})"$/.exec(ifMatch.trim());
  return m ? Number(m[1]) : -1;
}

function versionHeaders(res: Response, current: CurrentPolicy): void {
  res.setHeader('ETag', etagOf(current.version));
  res.setHeader('X-Policy-Version', String(current.version));
  res.setHeader('X-Policy-Source', current.managedByFile ? 'file' : current.source);
  if (current.managedByFile && current.file) {
    // A header carries Latin-1 only; encodeURI keeps an ASCII path readable and decodeURI restores any other.
    res.setHeader('X-Policy-File', encodeURI(current.file));
  }
  res.setHeader('Cache-Control', 'no-store');
}
