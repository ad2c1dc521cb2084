import { colord, extend } from 'colord';
import a11yPlugin from 'colord/plugins/a11y';
import { z } from 'zod';
import { assertAllowedText, DomainError, InvalidInputError, text } from '@mft/core';
import { DEFAULT_BRAND, type Brand } from './brand.js';

extend([a11yPlugin]);

// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// The footer may hold line breaks (shown as such), nothing else below U+0020.
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const color = text()
  .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour written #rrggbb, such as #1f5fbf')
  .transform((c) => c.toLowerCase());

const publicUrl = text()
  .max(300, 'must be at most 300 characters')
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '' && u.search === '' && u.hash === '' && !v.includes('?') && !v.includes('#');
    } catch {
      return false;
    }
  }, 'must be an absolute http:// or https:// URL without user name, password, query or fragment, such as https://files.example.com')
  .transform((v) => v.replace(/\/+$/, ''));

const nullableText = <T extends z.ZodType<string>>(s: T) =>
  s
    .nullable()
    .optional()
    .transform((v) => (v === undefined || v === null || v.trim() === '' ? null : v));

/** The branding document of GET/PUT /api/v1/branding. Fields left out take their default. */
export const brandSchema = z
  .object({
    name: text()
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters')
      .refine((v) => !CONTROL.test(v), 'must not contain control characters (line breaks, tabs, ...)')
      .optional(),
    primaryColor: color.optional(),
    accentColor: color.optional(),
    supportEmail: nullableText(z.email('must be an email address, such as help@example.com, or null').max(320, 'must be at most 320 characters')),
    footer: nullableText(
      text()
        .max(500, 'must be at most 500 characters')
        .refine((v) => !CONTROL_BUT_NEWLINE.test(v), 'must not contain control characters other than line breaks'),
    ),
    publicUrl: nullableText(publicUrl),
    // Read-only fields of GET, accepted back unchanged so that a read document can be PUT again.
    logoUrl: z.unknown().optional(),
    faviconUrl: z.unknown().optional(),
    updatedAt: z.unknown().optional(),
    updatedBy: z.unknown().optional(),
  })
  .strict();

/** A pair of colours the pages put together, and the contrast WCAG 2.x AA asks of it. */
interface ContrastPair {
  readonly field: 'primaryColor' | 'accentColor';
  readonly against: string;
  readonly againstName: string;
  readonly role: string;
  readonly min: number;
}

/** Where each colour is used: the header (primary, white text), buttons (white text), links (on the page background). */
const PAIRS: readonly ContrastPair[] = [
  { field: 'primaryColor', against: '#ffffff', againstName: 'white text', role: 'the page header', min: 4.5 },
  { field: 'primaryColor', against: '#f6f7f9', againstName: 'the page background #f6f7f9', role: 'links of the staff app', min: 4.5 },
  { field: 'accentColor', against: '#ffffff', againstName: 'white text', role: 'buttons', min: 4.5 },
  { field: 'accentColor', against: '#f6f7f9', againstName: 'the page background #f6f7f9', role: 'links', min: 4.5 },
];

/**
 * The WCAG 2.x contrast ratio of two colours, as colord's a11y plugin computes it (relative
 * luminance per WCAG 2.x, ratio floored to two decimals, so a pair just under 4.5:1 never passes).
 */
export function contrastRatio(a: string, b: string): number {
  return colord(a).contrast(b);
}

/** A colour pair below WCAG AA: 422 naming the pair and its ratio. */
export class BrandContrastError extends DomainError {
  constructor(message: string, details: Record<string, unknown>) {
    super('policy', 'branding_contrast', message, details);
  }
}

/** Refuses a brand whose colours do not reach WCAG AA contrast where they are used. */
export function assertReadable(b: Pick<Brand, 'primaryColor' | 'accentColor'>): void {
  const failing = PAIRS.map((p) => ({ ...p, color: b[p.field], ratio: contrastRatio(b[p.field], p.against) })).filter((p) => p.ratio < p.min);
  if (failing.length > 0) {
    const f = failing[0]!;
    throw new BrandContrastError(
      failing
        .map((p) => `${p.field} ${p.color} with ${p.againstName} (${p.role}) has a contrast of ${p.ratio.toFixed(2)}:1; at least ${p.min}:1 is needed`)
        .join('; ') + '. Choose a darker colour.',
      { field: f.field, pairs: failing.map((p) => ({ field: p.field, color: p.color, against: p.against, ratio: p.ratio, min: p.min })) },
    );
  }
}

/**
 * Parses a PUT body into a complete brand (fields left out take their defaults): 400
 * `branding_invalid` naming each bad field, then 422 `branding_contrast`.
 */
export function parseBrand(body: unknown): Brand {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidInputError('branding_invalid', 'The branding is not valid: body must be a JSON object { "name", "primaryColor", "accentColor", "supportEmail", "footer", "publicUrl" }.', { field: 'body' });
  }
  assertAllowedText(body);
  const result = brandSchema.safeParse(body);
  if (!result.success) {
    const problems = result.error.issues.map((i) => ({
      field: i.path.join('.') || 'body',
      message: i.code === 'unrecognized_keys' ? `has unknown field(s) ${i.keys.map((k) => JSON.stringify(k)).join(', ')}` : i.message,
    }));
    throw new InvalidInputError('branding_invalid', `The branding is not valid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`, { field: problems[0]?.field, problems });
  }
  const d = result.data;
  const brand: Brand = {
    name: d.name ?? DEFAULT_BRAND.name,
    primaryColor: d.primaryColor ?? DEFAULT_BRAND.primaryColor,
    accentColor: d.accentColor ?? DEFAULT_BRAND.accentColor,
    supportEmail: d.supportEmail,
    footer: d.footer,
    publicUrl: d.publicUrl,
  };
  assertReadable(brand);
  return brand;
}

const hostName = text()
  .trim()
  .toLowerCase()
  .max(253, 'must be at most 253 characters')
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/, 'must be host names such as files.acme.example (no scheme, port or path)');

/** The extra fields of a brand of /api/v1/brands: where it is served and whose links it dresses. */
const entrySchema = z
  .object({
    domains: z.array(hostName).max(50, 'may list at most 50 host names').default([]),
    groups: z.array(text().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters')).max(100, 'may list at most 100 groups').default([]),
    position: z.coerce.number().int('must be a whole number').min(0).max(100000).default(0),
    // Read-only fields of GET, accepted back unchanged.
    id: z.unknown().optional(),
    isDefault: z.unknown().optional(),
  })
  .passthrough();

/** A brand of /api/v1/brands: the branding document plus its host names, IdP groups and matching order. */
export interface BrandEntry {
  readonly brand: Brand;
  readonly domains: string[];
  readonly groups: string[];
  readonly position: number;
}

/** Parses a POST/PUT body of /api/v1/brands (fields left out take their defaults); refusals as `parseBrand`. */
export function parseBrandEntry(body: unknown): BrandEntry {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidInputError('branding_invalid', 'The brand is not valid: body must be a JSON object.', { field: 'body' });
  }
  const { domains, groups, position, id: _id, isDefault: _isDefault, ...rest } = body as Record<string, unknown>;
  const extra = entrySchema.safeParse({ domains, groups, position });
  if (!extra.success) {
    const problems = extra.error.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message }));
    throw new InvalidInputError('branding_invalid', `The brand is not valid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`, { field: problems[0]?.field, problems });
  }
  return { brand: parseBrand(rest), domains: [...new Set(extra.data.domains)], groups: [...new Set(extra.data.groups)], position: extra.data.position };
}
