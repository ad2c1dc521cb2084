import { Injectable } from '@nestjs/common';
import { AuditService, type AccessContext } from '@mft/audit';
import { Clock } from '@mft/core';
import { Database } from '@mft/db';
import { effectivePolicy, linkViolations, PolicyService, type CurrentPolicy, type PolicyDocument, type ReplacePolicyOptions } from '@mft/policy';
import type { Link } from './link.js';
import { GrantRepository } from './repositories/grant.repository.js';
import { LinkRepository } from './repositories/link.repository.js';

/** How a live link breaks a proposed policy, and what applying it retroactively would do. */
export interface LinkViolation {
  readonly linkId: string;
  readonly owner: string;
  readonly kind: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly rules: ReadonlyArray<{ rule: string; code: string; message: string }>;
  /** `shorten_expiry` when the expiry is all that is wrong (the link keeps working until then), else `revoke`. */
  readonly action: 'shorten_expiry' | 'revoke';
  readonly newExpiresAt: string | null;
}

export interface ComplianceReport {
  readonly checked: number;
  readonly violations: readonly LinkViolation[];
}

const PAGE = 200;
const DAY_MS = 86_400_000;
const EXPIRY_RULES = new Set(['expiry_too_long', 'expiry_never_not_allowed']);

/**
 * Which live links a policy would not allow, judged with each owner's effective policy (their
 * groups' overrides included), and, when a policy is applied retroactively, bringing them into
 * line: a link whose only fault is its expiry gets the longest expiry the policy allows (counted
 * from its creation); any other fault cannot be fixed without changing what the recipients were
 * promised, so the link is revoked. Each change is audited per link.
 */
@Injectable()
export class LinkComplianceService {
  constructor(
    private readonly db: Database,
    private readonly links: LinkRepository,
    private readonly grants: GrantRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly policies: PolicyService,
  ) {}

  /**
   * Replaces the organisation's policy and, when `retroactive`, brings every live link into line,
   * all in one transaction: either the new version and every change it causes are saved, or none.
   */
  async replacePolicy(input: unknown, ctx: AccessContext, opts: ReplacePolicyOptions): Promise<{ current: CurrentPolicy; report: ComplianceReport | null }> {
    return this.db.transaction(async () => {
      const { document } = await this.policies.replace(input, ctx, opts);
      const current = await this.policies.current();
      const report = opts.retroactive ? await this.enforce(document, ctx, current.version) : null;
      return { current, report };
    });
  }

  /** The dry run: every live link that `document` would not allow, and why. Changes nothing. */
  async check(document: PolicyDocument): Promise<ComplianceReport> {
    const violations: LinkViolation[] = [];
    let checked = 0;
    let after: string | null = null;
    for (;;) {
      const page = await this.links.liveLinksWithOwners(after, PAGE);
      if (page.length === 0) {
        break;
      }
      after = page.at(-1)!.link.id;
      checked += page.length;
      const ids = page.map((p) => p.link.id);
      const [files, grants] = [await this.links.filesOfLinks(ids), await this.grants.grantsOfLinks(ids)];
      for (const { link, ownerRoles, ownerGroups } of page) {
        const policy = effectivePolicy(document, ownerGroups);
        const found = linkViolations(
          policy,
          {
            kind: link.kind,
            createdAt: link.createdAt,
            expiresAt: link.expiresAt,
            passwordProtected: link.passwordHash !== null,
            requireEmailVerification: link.requireEmailVerification,
            oneTime: link.oneTime,
            maxDownloads: link.maxDownloads,
            fileSizes: files.filter((f) => f.linkId === link.id).map((f) => f.size),
            recipients: grants.filter((g) => g.linkId === link.id && g.status === 'active' && g.recipient !== null).map((g) => g.recipient!),
          },
          { roles: ownerRoles, external: ownerRoles.includes('external') },
        );
        if (found.length > 0) {
          violations.push(this.violation(link, found, policy.expiry.maxDays));
        }
      }
    }
    return { checked, violations };
  }

  private violation(link: Link, found: ReturnType<typeof linkViolations>, maxDays: number): LinkViolation {
    const onlyExpiry = found.every((v) => EXPIRY_RULES.has(v.rule));
    const latest = new Date(link.createdAt.getTime() + maxDays * DAY_MS);
    const now = this.clock.now();
    return {
      linkId: link.id,
      owner: link.ownerName,
      kind: link.kind,
      createdAt: link.createdAt.toISOString(),
      expiresAt: link.expiresAt?.toISOString() ?? null,
      rules: found.map((v) => ({ rule: v.rule, code: v.code, message: v.message })),
      action: onlyExpiry ? 'shorten_expiry' : 'revoke',
      newExpiresAt: onlyExpiry ? (latest > now ? latest : now).toISOString() : null,
    };
  }

  /** Applies a policy retroactively, in the caller's transaction: shortens or revokes each violating link. */
  async enforce(document: PolicyDocument, ctx: AccessContext, policyVersion: number | null): Promise<ComplianceReport> {
    const report = await this.check(document);
    await this.db.transaction(async () => {
      for (const v of report.violations) {
        const rules = v.rules.map((r) => r.rule);
        if (v.action === 'shorten_expiry') {
          if (await this.links.shortenExpiry(v.linkId, new Date(v.newExpiresAt!))) {
            await this.audit.record(ctx, {
              type: 'link.expiry_shortened',
              linkId: v.linkId,
              details: { from: v.expiresAt, to: v.newExpiresAt, reason: 'policy', policyVersion, rules },
            });
          }
        } else if (await this.links.revokeLink(v.linkId)) {
          await this.audit.record(ctx, { type: 'link.revoked', linkId: v.linkId, details: { reason: 'policy', policyVersion, rules } });
        }
      }
    });
    return report;
  }
}
