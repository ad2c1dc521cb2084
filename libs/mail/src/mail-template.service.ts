import { Injectable, Optional } from '@nestjs/common';
import { AuditService, type AccessContext } from '@mft/audit';
import { BrandingService } from '@mft/branding';
import { NotFoundError, PreconditionFailedError } from '@mft/core';
import { Database } from '@mft/db';
import {
  isMailTemplate,
  MAIL_TEMPLATE_CATALOGUE,
  MAIL_TEMPLATE_PARTS,
  MAIL_TEMPLATES,
  sampleDataOf,
  type MailTemplate,
  type MailTemplatePart,
  type TemplateVariable,
} from './mail-template-catalogue.js';
import { MAX_SUBJECT_CHARS, MailTemplateError, validateTemplatePart } from './mail-template-validator.js';
import { MailTemplateRepository, type MailTemplateVersion, type TemplateOverrides } from './mail-template.repository.js';
import { MailRenderer, type RenderedMail, type TemplateSources } from './mail-templates.js';

/** A template as the list shows it. Version 0 is the built-in files, never changed. */
export interface MailTemplateSummary {
  readonly name: MailTemplate;
  readonly description: string;
  readonly parts: readonly MailTemplatePart[];
  readonly version: number;
  /** Some part differs from the built-in file. */
  readonly customised: boolean;
  readonly customisedParts: readonly MailTemplatePart[];
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
  readonly variables: readonly TemplateVariable[];
}

/** A template with the source of each part in force and of each built-in default. */
export interface MailTemplateView extends MailTemplateSummary, TemplateSources {
  readonly defaults: TemplateSources;
}

/** One entry of a template's history. */
export type MailTemplateVersionView = Omit<MailTemplateVersion, 'parts' | 'template'> & { readonly customisedParts: readonly MailTemplatePart[] };

const customisedParts = (parts: TemplateOverrides | null): MailTemplatePart[] => MAIL_TEMPLATE_PARTS.filter((p) => parts !== null && parts[p] !== null);

/**
 * The administrators' versions of the email templates: read, check, preview, save, restore an
 * earlier version, reset to the files. Every change is a new version (who, when), audited, and in
 * force for the next message on every replica (see MailRenderer).
 */
@Injectable()
export class MailTemplateService {
  constructor(
    private readonly db: Database,
    private readonly repo: MailTemplateRepository,
    private readonly renderer: MailRenderer,
    private readonly audit: AuditService,
    @Optional() private readonly branding?: BrandingService,
  ) {}

  async list(): Promise<MailTemplateSummary[]> {
    const out: MailTemplateSummary[] = [];
    for (const name of MAIL_TEMPLATES) {
      const { defaults: _d, subject: _s, text: _t, html: _h, ...summary } = this.#view(name, await this.repo.latest(name));
      out.push(summary);
    }
    return out;
  }

  async get(name: string): Promise<MailTemplateView> {
    const template = this.#known(name);
    return this.#view(template, await this.repo.latest(template));
  }

  /**
   * Checks sources as a save would (every part, then a render with the sample data); throws
   * {@link MailTemplateError} naming the part and line.
   */
  check(name: MailTemplate, sources: TemplateSources): RenderedMail {
    for (const part of MAIL_TEMPLATE_PARTS) {
      validateTemplatePart(name, part, sources[part]);
    }
    let rendered: RenderedMail;
    try {
      rendered = this.renderer.renderSources(sources, sampleDataOf(name), { cutSubject: false });
    } catch (err) {
      throw new MailTemplateError('mail_template_invalid', `The template cannot be rendered: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { part: 'html', line: null });
    }
    if (rendered.subject.length > MAX_SUBJECT_CHARS) {
      throw new MailTemplateError(
        'mail_template_invalid',
        `Line 1 of the subject: with the sample data the subject is ${rendered.subject.length} characters long; it may be at most ${MAX_SUBJECT_CHARS}.`,
        { part: 'subject', line: 1 },
      );
    }
    return { ...rendered, subject: rendered.subject };
  }

  /** Renders the given parts (unsaved; parts left out are the ones in force) with the template's sample data. */
  async preview(name: string, parts: Partial<TemplateSources>): Promise<RenderedMail> {
    const template = this.#known(name);
    const latest = await this.repo.latest(template);
    const sources = { ...this.renderer.sourcesOf(template, latest?.parts ?? null), ...parts };
    this.check(template, sources);
    // The sample people and files, in the organisation's own brand (name, colours, logo) when it is known here.
    const sample = sampleDataOf(template);
    return this.renderer.renderSources(sources, this.branding ? { ...sample, brand: await this.branding.mailBrand() } : sample);
  }

  /**
   * Saves a new version with the given parts. A part equal to its built-in file is stored as "the
   * file", so that it follows the file when the gateway is upgraded. Saving what is in force again
   * makes no version. `expectedVersion` (If-Match): refused with 412 when another version is in force.
   */
  async save(name: string, sources: TemplateSources, ctx: AccessContext, expectedVersion?: number): Promise<MailTemplateView> {
    const template = this.#known(name);
    this.check(template, sources);
    const files = this.renderer.builtIns.of(template);
    const parts: TemplateOverrides = {
      subject: sources.subject === files.subject ? null : sources.subject,
      text: sources.text === files.text ? null : sources.text,
      html: sources.html === files.html ? null : sources.html,
    };
    return this.#change(template, ctx, expectedVersion, (latest) => {
      const current = latest?.parts ?? { subject: null, text: null, html: null };
      if (MAIL_TEMPLATE_PARTS.every((p) => current[p] === parts[p])) {
        return null;
      }
      return { parts, action: 'saved', restoredFrom: null, changed: MAIL_TEMPLATE_PARTS.filter((p) => current[p] !== parts[p]) };
    });
  }

  /** Puts an earlier version back in force, as a new version. */
  async restore(name: string, version: number, ctx: AccessContext, expectedVersion?: number): Promise<MailTemplateView> {
    const template = this.#known(name);
    const earlier = await this.repo.find(template, version);
    if (!earlier) {
      throw new NotFoundError('mail_template_version_not_found', `The template ${template} has no version ${version}.`);
    }
    this.check(template, this.renderer.sourcesOf(template, earlier.parts));
    return this.#change(template, ctx, expectedVersion, (latest) => {
      const current = latest?.parts ?? { subject: null, text: null, html: null };
      return { parts: earlier.parts, action: 'restored', restoredFrom: version, changed: MAIL_TEMPLATE_PARTS.filter((p) => current[p] !== earlier.parts[p]) };
    });
  }

  /** Returns every part to its built-in file (a new version); nothing happens when none was changed. */
  async reset(name: string, ctx: AccessContext, expectedVersion?: number): Promise<MailTemplateView> {
    const template = this.#known(name);
    return this.#change(template, ctx, expectedVersion, (latest) => {
      const changed = customisedParts(latest?.parts ?? null);
      return changed.length === 0 ? null : { parts: { subject: null, text: null, html: null }, action: 'reset', restoredFrom: null, changed };
    });
  }

  async versions(name: string, limit: number, before: number | null): Promise<MailTemplateVersionView[]> {
    const template = this.#known(name);
    const list = await this.repo.list(template, limit, before);
    return list.map(({ parts, template: _t, ...v }) => ({ ...v, customisedParts: customisedParts(parts) }));
  }

  async #change(
    template: MailTemplate,
    ctx: AccessContext,
    expectedVersion: number | undefined,
    decide: (latest: MailTemplateVersion | null) => { parts: TemplateOverrides; action: MailTemplateVersion['action']; restoredFrom: number | null; changed: MailTemplatePart[] } | null,
  ): Promise<MailTemplateView> {
    return this.db.transaction(async () => {
      await this.repo.lock();
      const latest = await this.repo.latest(template);
      const inForce = latest?.version ?? 0;
      if (expectedVersion !== undefined && expectedVersion !== inForce) {
        throw new PreconditionFailedError(
          'mail_template_version_changed',
          `The template ${template} has changed since you read it: version ${inForce} is now in force. Load it again and reapply your change.`,
          { currentVersion: inForce },
        );
      }
      const change = decide(latest);
      if (!change) {
        return this.#view(template, latest);
      }
      const saved = await this.repo.insert({ template, version: inForce + 1, parts: change.parts, action: change.action, restoredFrom: change.restoredFrom, createdBy: ctx.actor });
      await this.audit.record(ctx, {
        type: change.action === 'reset' ? 'mail.template_reset' : change.action === 'restored' ? 'mail.template_restored' : 'mail.template_changed',
        details: {
          template,
          version: saved.version,
          changedParts: change.changed,
          customisedParts: customisedParts(change.parts),
          ...(change.restoredFrom !== null ? { restoredFrom: change.restoredFrom } : {}),
        },
      });
      this.db.afterCommit(() => this.renderer.invalidate());
      return this.#view(template, saved);
    });
  }

  #known(name: string): MailTemplate {
    if (!isMailTemplate(name)) {
      throw new NotFoundError('mail_template_not_found', `There is no email template named ${JSON.stringify(name)}. The templates are: ${MAIL_TEMPLATES.join(', ')}.`);
    }
    return name;
  }

  #view(name: MailTemplate, latest: MailTemplateVersion | null): MailTemplateView {
    const entry = MAIL_TEMPLATE_CATALOGUE[name];
    const custom = customisedParts(latest?.parts ?? null);
    return {
      name,
      description: entry.description,
      parts: MAIL_TEMPLATE_PARTS,
      version: latest?.version ?? 0,
      customised: custom.length > 0,
      customisedParts: custom,
      updatedAt: latest?.createdAt ?? null,
      updatedBy: latest?.createdBy ?? null,
      variables: entry.variables,
      ...this.renderer.sourcesOf(name, latest?.parts ?? null),
      defaults: this.renderer.builtIns.of(name),
    };
  }
}
