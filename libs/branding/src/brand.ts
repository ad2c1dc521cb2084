/**
 * A brand: how the gateway presents itself to recipients, staff and in every email. One brand is
 * the default; further brands (with their own domains and IdP groups) share the same shape.
 */
export interface Brand {
  /** Shown in page headers, document titles, the From display name and the body of every email. */
  readonly name: string;
  /** `#rrggbb`: the page header's background (its text is white). */
  readonly primaryColor: string;
  /** `#rrggbb`: buttons (white text) and links. */
  readonly accentColor: string;
  readonly supportEmail: string | null;
  /** A line of text under every recipient page and email; null: the built-in line. */
  readonly footer: string | null;
  /** The base of this brand's link URLs and logo URL; null: the gateway's PUBLIC_URL. */
  readonly publicUrl: string | null;
}

/** The brand before an administrator sets one. */
export const DEFAULT_BRAND: Brand = Object.freeze({
  name: 'Secure file transfer',
  primaryColor: '#1f5fbf',
  accentColor: '#1f5fbf',
  supportEmail: null,
  footer: null,
  publicUrl: null,
});

/**
 * What every template (recipient and sign-in pages, emails, editable email templates) sees as
 * `brand`. Its keys are a contract: templates written by administrators rely on them.
 */
export interface TemplateBrand {
  readonly name: string;
  readonly primaryColor: string;
  readonly accentColor: string;
  readonly supportEmail: string | null;
  readonly footer: string | null;
  /** The logo's URL with a version query (`?v=<hash>`) for cache busting; null when there is no logo. */
  readonly logoUrl: string | null;
  /** The absolute base URL of this brand (never null here: the gateway's PUBLIC_URL when the brand has none). */
  readonly publicUrl: string;
}

const COLOR = /^#[0-9a-f]{6}$/i;
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * The template brand of a queued message's `data.brand`: the object queued since branding exists,
 * or a bare name (messages queued before it), completed with the defaults. Never throws: a message
 * already queued must still be sendable.
 */
export function templateBrandOf(value: unknown, publicUrl: string): TemplateBrand {
  const base: TemplateBrand = { ...DEFAULT_BRAND, logoUrl: null, publicUrl };
  if (typeof value === 'string') {
    return { ...base, name: value.trim() === '' ? base.name : value };
  }
  if (!value || typeof value !== 'object') {
    return base;
  }
  const v = value as Record<string, unknown>;
  const color = (c: unknown, fallback: string): string => (typeof c === 'string' && COLOR.test(c) ? c : fallback);
  return {
    name: text(v.name) || base.name,
    primaryColor: color(v.primaryColor, base.primaryColor),
    accentColor: color(v.accentColor, base.accentColor),
    supportEmail: text(v.supportEmail),
    footer: text(v.footer),
    logoUrl: text(v.logoUrl),
    publicUrl: text(v.publicUrl) || publicUrl,
  };
}
