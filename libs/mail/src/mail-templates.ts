import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import Handlebars from 'handlebars';
import { projectRoot } from '@mft/config';
import { MAIL_TEMPLATE_PARTS, MAIL_TEMPLATES, type MailTemplate, type MailTemplatePart } from './mail-template-catalogue.js';
import { MAX_SUBJECT_CHARS } from './mail-template-validator.js';
import type { MailTemplateRepository, TemplateOverrides } from './mail-template.repository.js';

export { MAIL_TEMPLATES, type MailTemplate } from './mail-template-catalogue.js';

export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** The source of each part of a template. */
export type TemplateSources = Readonly<Record<MailTemplatePart, string>>;

type Compiled = Readonly<Record<MailTemplatePart, Handlebars.TemplateDelegate>>;

const RUNTIME: Handlebars.RuntimeOptions = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };

/**
 * How often a renderer asks the database whether another replica changed a template. A change made
 * on this replica is seen at once; on the others within this long, as each checks the versions in
 * force (one small query) before rendering when its last check is older.
 */
export const TEMPLATE_VERSION_TTL_MS = 2000;

/** The template files shipped with the gateway: the defaults an administrator's version replaces, part by part. */
export class BuiltInMailTemplates {
  private constructor(
    readonly layout: string,
    private readonly sources: ReadonlyMap<MailTemplate, TemplateSources>,
  ) {}

  static load(dir = join(projectRoot(), 'libs', 'mail', 'src', 'templates')): BuiltInMailTemplates {
    const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
    const files = new Set(readdirSync(dir));
    const sources = new Map<MailTemplate, TemplateSources>();
    for (const name of MAIL_TEMPLATES) {
      for (const part of MAIL_TEMPLATE_PARTS) {
        if (!files.has(`${name}.${part}.hbs`)) {
          throw new Error(`mail template ${name}.${part}.hbs is missing from ${dir}`);
        }
      }
      sources.set(name, { subject: read(`${name}.subject.hbs`), text: read(`${name}.text.hbs`), html: read(`${name}.html.hbs`) });
    }
    return new BuiltInMailTemplates(read('layout.html.hbs'), sources);
  }

  of(name: MailTemplate): TemplateSources {
    return this.sources.get(name)!;
  }
}

/**
 * `{{brand}}` prints the organisation's name whether the brand arrives as its name (as it did) or as
 * the brand object: templates written for either keep reading right. The name is given as the
 * object's own string conversion, not as a property a template could look up.
 */
function withPrintableBrand(data: Record<string, unknown>): Record<string, unknown> {
  const brand = data.brand;
  if (brand === null || typeof brand !== 'object' || Array.isArray(brand)) {
    return data;
  }
  const name = (brand as { name?: unknown }).name;
  const printable = Object.defineProperty({ ...brand }, 'toString', { value: () => (typeof name === 'string' ? name : ''), enumerable: false });
  return { ...data, brand: printable };
}

/** An environment with only the helpers templates may use: no `lookup`, no `log`. */
function environment(): typeof Handlebars {
  const hbs = Handlebars.create();
  hbs.unregisterHelper('lookup');
  hbs.unregisterHelper('log');
  return hbs;
}

/**
 * Compiles one part. HTML parts are HTML-escaped; plain-text parts and subjects are not (they are
 * not HTML). `knownHelpersOnly` makes the compiler itself refuse any helper but the block ones,
 * behind the validator that refuses them on save.
 */
function compilePart(hbs: typeof Handlebars, part: MailTemplatePart, source: string): Handlebars.TemplateDelegate {
  return hbs.compile(source, { noEscape: part !== 'html', knownHelpersOnly: true, knownHelpers: { lookup: false, log: false }, strict: false });
}

/**
 * Renders mail: each part from the administrator's version of the template when there is one, from
 * the template file otherwise. Templates are the only text ever compiled: names, messages and file
 * names arrive as data, so `{{constructor.constructor}}` in a message stays literal text. Line breaks
 * are removed from subjects so that no data can add a header.
 */
export class MailRenderer {
  readonly #logger = new Logger('Mail');
  readonly #hbs = environment();
  readonly #layout: Handlebars.TemplateDelegate;
  readonly #defaults = new Map<MailTemplate, Compiled>();
  /** The compiled version in force of each template an administrator changed, by version. */
  readonly #inForce = new Map<MailTemplate, { version: number; compiled: Compiled }>();
  /** The version of each template last loaded (0: none saved). */
  readonly #seen = new Map<MailTemplate, number>();
  #checkedAt = 0;
  #checking: Promise<void> | null = null;

  constructor(
    private readonly repo: MailTemplateRepository | null = null,
    readonly builtIns: BuiltInMailTemplates = BuiltInMailTemplates.load(),
  ) {
    this.#layout = this.#hbs.compile(builtIns.layout, { strict: false });
    for (const name of MAIL_TEMPLATES) {
      this.#defaults.set(name, this.#compile(builtIns.of(name)));
    }
  }

  /** Renders `name` as it is in force (at most {@link TEMPLATE_VERSION_TTL_MS} behind another replica's change). */
  async render(name: MailTemplate, data: Record<string, unknown>): Promise<RenderedMail> {
    await this.#refresh();
    const custom = this.#inForce.get(name);
    if (custom) {
      try {
        return this.#render(custom.compiled, data);
      } catch (err) {
        // Validated on save, so this is unexpected: the message still goes out, as the file has it.
        this.#logger.error({ msg: 'customised mail template failed; the built-in one is used', template: name, version: custom.version, err: String(err) });
      }
    }
    return this.#render(this.#defaults.get(name)!, data);
  }

  /**
   * Renders the given sources (a preview, or the check before a save); throws what Handlebars throws.
   * `cutSubject: false` answers the subject as long as it renders, to check its length.
   */
  renderSources(sources: TemplateSources, data: Record<string, unknown>, opts: { cutSubject?: boolean } = {}): RenderedMail {
    return this.#render(this.#compile(sources), data, opts.cutSubject ?? true);
  }

  /** The sources in force of `name` given the administrator's overrides (null parts are the files). */
  sourcesOf(name: MailTemplate, overrides: TemplateOverrides | null): TemplateSources {
    const files = this.builtIns.of(name);
    return {
      subject: overrides?.subject ?? files.subject,
      text: overrides?.text ?? files.text,
      html: overrides?.html ?? files.html,
    };
  }

  /** Forgets what it knows of the versions in force: the next render asks the database again. */
  invalidate(): void {
    this.#checkedAt = 0;
  }

  #compile(sources: TemplateSources): Compiled {
    return {
      subject: compilePart(this.#hbs, 'subject', sources.subject),
      text: compilePart(this.#hbs, 'text', sources.text),
      html: compilePart(this.#hbs, 'html', sources.html),
    };
  }

  #render(t: Compiled, input: Record<string, unknown>, cutSubject = true): RenderedMail {
    const data = withPrintableBrand(input);
    const line = t.subject(data, RUNTIME).replace(/[\r\n\t]+/g, ' ').trim();
    const subject = cutSubject ? line.slice(0, MAX_SUBJECT_CHARS) : line;
    return {
      subject,
      text: t.text(data, RUNTIME),
      html: this.#layout({ ...data, subject, body: t.html(data, RUNTIME) }, RUNTIME),
    };
  }

  async #refresh(): Promise<void> {
    if (!this.repo || Date.now() - this.#checkedAt < TEMPLATE_VERSION_TTL_MS) {
      return;
    }
    this.#checking ??= this.#load(this.repo).finally(() => (this.#checking = null));
    await this.#checking;
  }

  async #load(repo: MailTemplateRepository): Promise<void> {
    const started = Date.now();
    const versions = await repo.latestVersions();
    for (const name of MAIL_TEMPLATES) {
      const version = versions.get(name) ?? 0;
      if ((this.#seen.get(name) ?? 0) === version) {
        continue;
      }
      const latest = version === 0 ? null : await repo.latest(name);
      const parts = latest?.parts ?? null;
      if (latest && parts && MAIL_TEMPLATE_PARTS.some((p) => parts[p] !== null)) {
        this.#inForce.set(name, { version: latest.version, compiled: this.#compile(this.sourcesOf(name, parts)) });
      } else {
        this.#inForce.delete(name);
      }
      this.#seen.set(name, latest?.version ?? 0);
    }
    this.#checkedAt = started;
  }
}
