import { ApiError, call, request } from './client.ts';

export type TemplatePart = 'subject' | 'text' | 'html';
export const TEMPLATE_PARTS: readonly TemplatePart[] = ['subject', 'text', 'html'];

/** What a template may print or test (GET /api/v1/mail/templates). */
export interface TemplateVariable {
  readonly name: string;
  readonly kind: 'text' | 'number' | 'flag' | 'object' | 'list';
  readonly description: string;
  readonly fields?: readonly TemplateVariable[];
}

export interface TemplateSources {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface MailTemplateSummary {
  readonly name: string;
  readonly description: string;
  readonly version: number;
  readonly customised: boolean;
  readonly customisedParts: readonly TemplatePart[];
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
  readonly variables: readonly TemplateVariable[];
}

/** One template with its parts in force and the built-in defaults; `etag` names its version for If-Match. */
export interface MailTemplate extends MailTemplateSummary, TemplateSources {
  readonly defaults: TemplateSources;
  readonly etag: string;
}

export interface TemplateVersion {
  readonly version: number;
  readonly action: 'saved' | 'restored' | 'reset';
  readonly restoredFrom: number | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly customisedParts: readonly TemplatePart[];
}

/** A refusal of a template (422): the part and line it names, when it names one. */
export function templateProblemOf(err: unknown): { part: TemplatePart; line: number | null; message: string } | null {
  if (!(err instanceof ApiError) || err.status !== 422) {
    return null;
  }
  const part = err.body.part;
  const line = err.body.line;
  return part === 'subject' || part === 'text' || part === 'html' ? { part, line: typeof line === 'number' ? line : null, message: err.message } : null;
}

const path = (name: string): string => `/mail/templates/${encodeURIComponent(name)}`;
const json = { 'content-type': 'application/json' };

async function withEtag(p: Promise<{ data: Omit<MailTemplate, 'etag'>; headers: Headers }>): Promise<MailTemplate> {
  const { data, headers } = await p;
  return { ...data, etag: headers.get('etag') ?? '' };
}

export const mailTemplatesApi = {
  list: (): Promise<MailTemplateSummary[]> => call('GET', '/mail/templates'),
  get: (name: string): Promise<MailTemplate> => withEtag(request('GET', path(name))),
  /** Saves a new version; refused with 412 when `etag` is no longer the version in force. */
  save: (name: string, parts: TemplateSources, etag: string): Promise<MailTemplate> =>
    withEtag(request('PUT', path(name), JSON.stringify(parts), { ...json, 'if-match': etag })),
  preview: (name: string, parts: Partial<TemplateSources>): Promise<TemplateSources> => call('POST', `${path(name)}/preview`, JSON.stringify(parts), json),
  versions: (name: string): Promise<TemplateVersion[]> => call('GET', `${path(name)}/versions`),
  restore: (name: string, version: number, etag: string): Promise<MailTemplate> =>
    withEtag(request('POST', `${path(name)}/versions/${String(version)}/restore`, undefined, { 'if-match': etag })),
  reset: (name: string, etag: string): Promise<MailTemplate> => withEtag(request('DELETE', path(name), undefined, { 'if-match': etag })),
};
