import { existsSync } from 'node:fs';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AuditService, SYSTEM_CONTEXT, type AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { ConflictError, DomainError, NotFoundError, PreconditionFailedError, StartupError } from '@mft/core';
import { Database } from '@mft/db';
import { effectivePolicy, looserOverrides, type EffectivePolicy } from './effective-policy.js';
import { policyDiff } from './policy-diff.js';
import { loadPolicyFile, PolicyFileError } from './policy-file.js';
import { PolicyRepository, type PolicyVersion } from './policy.repository.js';
import { DEFAULT_POLICY, parsePolicy, type PolicyDocument } from './policy.schema.js';

/** The policy in force, and where it came from. Version 0 is the built-in default. */
export interface CurrentPolicy {
  readonly version: number;
  readonly document: PolicyDocument;
  readonly source: 'default' | 'api' | 'file';
  readonly createdAt: string | null;
  readonly createdBy: string | null;
  /** True while a policy file is authoritative: the API then refuses edits. */
  readonly managedByFile: boolean;
  readonly file: string | null;
}

/** How a replacement through the API is made. */
export interface ReplacePolicyOptions {
  readonly retroactive: boolean;
  /**
   * The version the change was based on (`If-Match`); checked under the policy lock, so two admins
   * holding the same version cannot both replace it. Absent: unconditional.
   */
  readonly expectedVersion?: number;
}

/** A group override looser than the organisation's policy: refused when saved. */
export class LooserOverrideError extends DomainError {
  constructor(problems: ReturnType<typeof looserOverrides>) {
    super(
      'policy',
      'policy_override_looser',
      `policy_override_looser: a group may only make the policy stricter: ${problems.map((p) => p.message).join('; ')}.`,
      { problems },
    );
  }
}

/**
 * The organisation's link policy: the one place that knows which policy is in force (for whom),
 * and the only writer of its versions. Every version is kept with who made it, when, and the
 * settings it changed, and every change is audited.
 *
 * Precedence: when the policy file exists, it is the policy. It is validated and applied at start
 * (a new version when it differs from the one in force), and the API refuses edits until the file
 * is removed; then the last applied version stays in force and the API may change it.
 */
@Injectable()
export class PolicyService implements OnModuleInit {
  readonly #logger = new Logger('Policy');
  #managedByFile = false;

  constructor(
    private readonly db: Database,
    private readonly repo: PolicyRepository,
    private readonly audit: AuditService,
    private readonly config: AppConfigService,
  ) {}

  /** Applies the policy file, if there is one; a bad file stops the process, naming the line and key. */
  async onModuleInit(): Promise<void> {
    const file = this.config.policyFile;
    if (!existsSync(file)) {
      return;
    }
    let document: PolicyDocument;
    try {
      document = loadPolicyFile(file);
    } catch (err) {
      throw new StartupError(err instanceof PolicyFileError ? `Invalid policy file: ${err.message}` : `Cannot load the policy file ${file}: ${String(err)}`);
    }
    this.#managedByFile = true;
    const applied = await this.save(document, { ...SYSTEM_CONTEXT, actor: `file:${file}` }, 'file', false);
    if (applied) {
      this.#logger.log({ msg: 'policy file applied', file, version: applied.version, changes: applied.diff.length });
    }
  }

  async current(): Promise<CurrentPolicy> {
    const latest = await this.repo.latest();
    const file = this.#managedByFile ? this.config.policyFile : null;
    if (!latest) {
      return { version: 0, document: DEFAULT_POLICY, source: 'default', createdAt: null, createdBy: null, managedByFile: this.#managedByFile, file };
    }
    return { ...latest, managedByFile: this.#managedByFile, file };
  }

  /** The policy that applies to a user: the organisation's, tightened by their groups' overrides. */
  async effectiveFor(userId: string): Promise<EffectivePolicy> {
    const [{ document }, groups] = [await this.current(), await this.repo.groupsOf(userId)];
    return effectivePolicy(document, groups);
  }

  /** The effective policy of the user named `username`, with their groups. */
  async effectiveForUsername(username: string): Promise<{ user: string; groups: string[]; policy: EffectivePolicy }> {
    const user = await this.repo.userByName(username);
    if (!user) {
      throw new NotFoundError('user_not_found', `There is no user named ${JSON.stringify(username)}.`);
    }
    const [groups, policy] = [await this.repo.groupsOf(user.id), await this.effectiveFor(user.id)];
    return { user: user.username, groups, policy };
  }

  versions(limit: number, before: number | null): Promise<PolicyVersion[]> {
    return this.repo.list(limit, before);
  }

  async version(n: number): Promise<PolicyVersion> {
    const v = await this.repo.find(n);
    if (!v) {
      throw new NotFoundError('policy_version_not_found', `There is no policy version ${n}.`);
    }
    return v;
  }

  /** Validates a proposed document: schema, then stricter-only group overrides. */
  validate(input: unknown): PolicyDocument {
    const document = parsePolicy(input);
    const looser = looserOverrides(document);
    if (looser.length > 0) {
      throw new LooserOverrideError(looser);
    }
    return document;
  }

  /** Replaces the policy through the API. Refused while the policy file is authoritative. */
  async replace(input: unknown, ctx: AccessContext, opts: ReplacePolicyOptions): Promise<{ version: PolicyVersion | null; document: PolicyDocument }> {
    if (this.#managedByFile) {
      throw new ConflictError(
        'policy_managed_by_file',
        `The policy is managed as code in ${this.config.policyFile}: change that file (and restart), or remove it to manage the policy here.`,
      );
    }
    const document = this.validate(input);
    return { version: await this.save(document, ctx, 'api', opts.retroactive, opts.expectedVersion), document };
  }

  /** Saves a new version when the document differs from the one in force; returns it, or null when nothing changed. */
  private async save(document: PolicyDocument, ctx: AccessContext, source: 'api' | 'file', retroactive: boolean, expectedVersion?: number): Promise<PolicyVersion | null> {
    return this.db.transaction(async () => {
      await this.repo.lock();
      const latest = await this.repo.latest();
      const inForce = latest?.version ?? 0;
      if (expectedVersion !== undefined && expectedVersion !== inForce) {
        throw new PreconditionFailedError(
          'policy_version_changed',
          `The policy has changed since you read it: version ${inForce} is now in force. Read it again and reapply your change.`,
          { currentVersion: inForce },
        );
      }
      const diff = policyDiff(latest?.document ?? DEFAULT_POLICY, document);
      if (diff.length === 0 && latest) {
        return null;
      }
      const saved = await this.repo.insert({ version: (latest?.version ?? 0) + 1, document, source, createdBy: ctx.actor, diff, retroactive });
      await this.audit.record(ctx, {
        type: 'policy.changed',
        details: { version: saved.version, source, retroactive, changes: diff },
      });
      return saved;
    });
  }
}
