import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import type { PageAssets, TemplateBrand } from '@mft/branding';

/** Where a page's brand comes from (the branding service). */
export interface BrandSource {
  templateBrand(): TemplateBrand;
  pageAssets(): PageAssets;
}

/**
 * Renders the portal's templates. Only the template files are ever compiled; request data is
 * passed as context and HTML-escaped by `{{ }}`, so `{{constructor}}` in a file name stays text.
 * Every page and its layout see the brand as `brand` (`{{brand.name}}`, `{{brand.logoUrl}}`, ...)
 * and its stylesheet and favicon URLs as `brandAssets`.
 */
export class Views {
  readonly #hbs = Handlebars.create();
  readonly #layout: Handlebars.TemplateDelegate;
  readonly #pages = new Map<string, Handlebars.TemplateDelegate>();

  /** Compiles every `*.hbs` file of `dir` once; `layout.hbs` wraps the others. */
  constructor(
    dir: string,
    private readonly brands: BrandSource,
  ) {
    const compile = (file: string): Handlebars.TemplateDelegate =>
      this.#hbs.compile(readFileSync(join(dir, file), 'utf8'), { strict: false, knownHelpersOnly: false });
    this.#layout = compile('layout.hbs');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.hbs') && f !== 'layout.hbs')) {
      this.#pages.set(file.slice(0, -4), compile(file));
    }
  }

  render(page: string, context: Record<string, unknown>): string {
    const template = this.#pages.get(page);
    if (!template) {
      throw new Error(`no view ${page}`);
    }
    const runtime = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };
    const full = { ...context, brand: this.brands.templateBrand(), brandAssets: this.brands.pageAssets() };
    return this.#layout({ ...full, body: template(full, runtime) }, runtime);
  }
}

export { formatBytes, formatDate } from '@mft/core';
