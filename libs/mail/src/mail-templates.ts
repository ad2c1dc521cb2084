import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { projectRoot } from '@mft/config';

/** Every message the gateway sends. Each has `<name>.subject.hbs`, `<name>.text.hbs` and `<name>.html.hbs`. */
export const MAIL_TEMPLATES = ['recipient-invitation', 'verification-code', 'download-notification', 'expired-unused'] as const;
export type MailTemplate = (typeof MAIL_TEMPLATES)[number];

export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

interface Compiled {
  subject: Handlebars.TemplateDelegate;
  text: Handlebars.TemplateDelegate;
  html: Handlebars.TemplateDelegate;
}

const RUNTIME: Handlebars.RuntimeOptions = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };

/**
 * Renders mail from the template files, which are the only text ever compiled: names, messages and
 * file names arrive as data, so `{{constructor.constructor}}` in a message stays literal text.
 * HTML parts are HTML-escaped; plain-text parts and subjects are not (they are not HTML), and
 * line breaks are removed from subjects so that no data can add a header.
 */
export class MailRenderer {
  readonly #hbs = Handlebars.create();
  readonly #templates = new Map<string, Compiled>();
  readonly #layout: Handlebars.TemplateDelegate;

  constructor(dir = join(projectRoot(), 'libs', 'mail', 'src', 'templates')) {
    const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
    const files = new Set(readdirSync(dir));
    this.#layout = this.#hbs.compile(read('layout.html.hbs'), { strict: false });
    for (const name of MAIL_TEMPLATES) {
      for (const part of ['subject', 'text', 'html']) {
        if (!files.has(`${name}.${part}.hbs`)) {
          throw new Error(`mail template ${name}.${part}.hbs is missing from ${dir}`);
        }
      }
      this.#templates.set(name, {
        subject: this.#hbs.compile(read(`${name}.subject.hbs`), { noEscape: true }),
        text: this.#hbs.compile(read(`${name}.text.hbs`), { noEscape: true }),
        html: this.#hbs.compile(read(`${name}.html.hbs`)),
      });
    }
  }

  render(name: MailTemplate, data: Record<string, unknown>): RenderedMail {
    const t = this.#templates.get(name);
    if (!t) {
      throw new Error(`no mail template ${name}`);
    }
    const subject = t.subject(data, RUNTIME).replace(/[\r\n\t]+/g, ' ').trim().slice(0, 250);
    return {
      subject,
      text: t.text(data, RUNTIME),
      html: this.#layout({ ...data, subject, body: t.html(data, RUNTIME) }, RUNTIME),
    };
  }
}
