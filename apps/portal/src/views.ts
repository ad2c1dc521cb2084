import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { projectRoot } from '@mft/config';

/** The portal's own source folder (views and static files), in the source tree or beside the build. */
export const PORTAL_DIR = join(projectRoot(), 'apps', 'portal', 'src');

/**
 * Renders the portal's templates. Only the template files are ever compiled; request data is
 * passed as context and HTML-escaped by `{{ }}`, so `{{constructor}}` in a file name stays text.
 */
@Injectable()
export class Views {
  readonly #hbs = Handlebars.create();
  readonly #layout: Handlebars.TemplateDelegate;
  readonly #pages = new Map<string, Handlebars.TemplateDelegate>();

  constructor() {
    const compile = (name: string): Handlebars.TemplateDelegate =>
      this.#hbs.compile(readFileSync(join(PORTAL_DIR, 'views', `${name}.hbs`), 'utf8'), { strict: false, knownHelpersOnly: false });
    this.#layout = compile('layout');
    for (const page of ['landing', 'error']) {
      this.#pages.set(page, compile(page));
    }
  }

  render(page: 'landing' | 'error', context: Record<string, unknown>): string {
    const template = this.#pages.get(page)!;
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
