import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';

/**
 * Renders the portal's templates. Only the template files are ever compiled; request data is
 * passed as context and HTML-escaped by `{{ }}`, so `{{constructor}}` in a file name stays text.
 */
export class Views {
  readonly #hbs = Handlebars.create();
  readonly #layout: Handlebars.TemplateDelegate;
  readonly #pages = new Map<string, Handlebars.TemplateDelegate>();

  /** Compiles every `*.hbs` file of `dir` once; `layout.hbs` wraps the others. */
  constructor(dir: string) {
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
    const body = template(context, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
    return this.#layout({ ...context, body, brand: context.brand ?? 'Secure file transfer' });
  }
}

export { formatBytes, formatDate } from '@mft/core';
