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

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} ${n === 1 ? 'byte' : 'bytes'}` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatDate(iso: string): string {
  return new Date(iso).toUTCString();
}
