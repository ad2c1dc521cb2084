import { ApiError } from '../../../api/client.ts';

/** The controls of the brand editor a refusal can be about, in the order of the form. */
export const BRAND_FIELDS = ['name', 'domains', 'groups', 'position', 'primaryColor', 'accentColor', 'logo', 'supportEmail', 'footer', 'publicUrl'] as const;
export type BrandField = (typeof BRAND_FIELDS)[number];

export const FIELD_LABELS: Record<BrandField, string> = {
  name: 'Name',
  domains: 'Domains',
  groups: 'IdP groups',
  position: 'Order',
  primaryColor: 'Primary colour',
  accentColor: 'Accent colour',
  logo: 'Logo',
  supportEmail: 'Support email',
  footer: 'Footer',
  publicUrl: 'Public URL',
};

const isField = (f: string): f is BrandField => (BRAND_FIELDS as readonly string[]).includes(f);

/** A refusal as the editor shows it: the gateway's own message, and what is wrong with each field it names. */
export interface BrandRefusal {
  readonly message: string;
  /** Field → sentences shown beside it, in the order of the form. */
  readonly fields: ReadonlyArray<readonly [BrandField, readonly string[]]>;
}

/** What was sent, to name an entry of a list the gateway refused by its index ("domains.1"). */
export interface Sent {
  readonly domains: readonly string[];
  readonly groups: readonly string[];
  readonly logo: boolean;
}

const sentence = (s: string): string => {
  const t = s.trim().replace(/,? or null$/, ', or left empty');
  // "must be …" reads as a sentence; a value first ("gamma.test is …") keeps its case.
  const start = /^[a-z]+[\s,]/.test(t) ? `${t[0]!.toUpperCase()}${t.slice(1)}` : t;
  return t === '' ? t : `${start}${/[.!?]$/.test(t) ? '' : '.'}`;
};

/** Where each colour is used, as the gateway checks it (libs/branding PAIRS). */
function useOf(field: string, against: string): string {
  const white = against.toLowerCase() === '#ffffff';
  if (field === 'primaryColor') {
    return white ? 'under the white text of the page header' : `for links of the staff app on the page background ${against}`;
  }
  return white ? 'under the white text of buttons' : `for links on the page background ${against}`;
}

/**
 * The gateway's refusal of a brand turned into messages beside its fields: a 400 lists
 * `problems: [{ field, message }]`; a 422 `branding_contrast` lists the failing colour `pairs`; a
 * 409 (a host name served by another brand) names its field first in the message ("domains: …");
 * a refused logo (413, 415, 422 `branding_logo_*`) is about the logo. Null for anything else.
 */
export function brandRefusalOf(error: unknown, sent: Sent): BrandRefusal | null {
  if (!(error instanceof ApiError)) {
    return null;
  }
  const fields = new Map<BrandField, string[]>();
  const add = (field: BrandField, message: string): void => {
    fields.set(field, [...(fields.get(field) ?? []), sentence(message)]);
  };
  const code = typeof error.body.code === 'string' ? error.body.code : '';
  const problems = error.body.problems;
  const pairs = error.body.pairs;
  if (Array.isArray(problems)) {
    for (const p of problems as Array<{ field?: unknown; message?: unknown }>) {
      if (typeof p.field !== 'string' || typeof p.message !== 'string') {
        continue;
      }
      const [head, index] = p.field.split('.');
      if (head && isField(head)) {
        const list = head === 'domains' ? sent.domains : head === 'groups' ? sent.groups : null;
        const entry = list && index !== undefined ? list[Number(index)] : undefined;
        add(head, entry !== undefined ? `“${entry}” ${p.message.replace(/^must be host names/, 'must be a host name')}` : p.message);
      }
    }
  } else if (code === 'branding_contrast' && Array.isArray(pairs)) {
    // One sentence per colour, naming each place it is too pale for.
    const byField = new Map<BrandField, { color: string; min: number; uses: string[] }>();
    for (const p of pairs as Array<{ field?: unknown; color?: unknown; against?: unknown; ratio?: unknown; min?: unknown }>) {
      if (typeof p.field === 'string' && isField(p.field) && typeof p.against === 'string' && typeof p.ratio === 'number' && typeof p.min === 'number') {
        const entry = byField.get(p.field) ?? { color: String(p.color), min: p.min, uses: [] };
        entry.uses.push(`${p.ratio.toFixed(2)}:1 ${useOf(p.field, p.against)}`);
        entry.min = Math.max(entry.min, p.min);
        byField.set(p.field, entry);
      }
    }
    for (const [field, e] of byField) {
      add(field, `${e.color} has a contrast of ${e.uses.join(' and ')}; at least ${String(e.min)}:1 is needed. Choose a darker colour`);
    }
  } else if (sent.logo && (error.status === 413 || error.status === 415 || code.startsWith('branding_logo'))) {
    add('logo', error.message);
  } else {
    const named = /^([A-Za-z]+): (.+)$/s.exec(error.message);
    if (named && isField(named[1]!)) {
      add(named[1]! as BrandField, named[2]!.replace(/"([^"]*)"/g, '“$1”'));
    } else if (typeof error.body.field === 'string' && isField(error.body.field)) {
      add(error.body.field, error.message);
    } else if (![400, 409, 422].includes(error.status)) {
      return null;
    }
  }
  return { message: error.message, fields: BRAND_FIELDS.filter((f) => fields.has(f)).map((f) => [f, fields.get(f)!] as const) };
}
