import { ApiError, call, callJson, request } from './client.ts';

/** The brand as everyone may see it (GET /branding.json, no sign-in needed). */
export interface PublicBrand {
  readonly name: string;
  readonly primaryColor: string;
  readonly accentColor: string;
  readonly supportEmail: string | null;
  readonly footer: string | null;
  readonly logoUrl: string | null;
  readonly faviconUrl: string;
  readonly themeUrl: string;
}

/** The brand document the administrators edit (GET/PUT /api/v1/branding). */
export interface BrandingDocument {
  readonly name: string;
  readonly primaryColor: string;
  readonly accentColor: string;
  readonly supportEmail: string | null;
  readonly footer: string | null;
  readonly publicUrl: string | null;
}

export interface BrandingView extends BrandingDocument {
  readonly logoUrl: string | null;
  readonly faviconUrl: string | null;
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

/** The public brand, read before anything else (the header and the document titles carry it). */
export async function loadPublicBrand(): Promise<PublicBrand> {
  let res: Response;
  try {
    res = await fetch('/branding.json', { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'The gateway cannot be reached. Check your connection and try again.');
  }
  if (!res.ok) {
    throw new ApiError(res.status, `The gateway refused to describe its brand (HTTP ${String(res.status)}).`);
  }
  return (await res.json()) as PublicBrand;
}

export const brandingApi = {
  get: (): Promise<BrandingView> => call<BrandingView>('GET', '/branding'),
  put: (doc: BrandingDocument): Promise<BrandingView> => callJson<BrandingView>('PUT', '/branding', doc),
  putLogo: async (file: File): Promise<BrandingView> => (await request<BrandingView>('PUT', '/branding/logo', file, { 'content-type': file.type || 'application/octet-stream' })).data,
  deleteLogo: (): Promise<void> => call<void>('DELETE', '/branding/logo'),
};

/** A brand of GET/POST/PUT /api/v1/brands: the document, where it is served and whose links it dresses. */
export interface BrandEntryDocument extends BrandingDocument {
  /** Host names on which pages show this brand (lower case, no port). */
  readonly domains: readonly string[];
  /** IdP groups whose members' links get this brand. */
  readonly groups: readonly string[];
  /** Matching order, lower first: the first brand naming one of a person's groups wins. Sent as typed when it is not a whole number (the gateway names it). */
  readonly position: number | string;
}

export interface BrandEntryView extends BrandingView {
  readonly id: string;
  /** The brand /api/v1/branding edits; it cannot be deleted. */
  readonly isDefault: boolean;
  readonly domains: readonly string[];
  readonly groups: readonly string[];
  readonly position: number;
}

const brandPath = (id: string): string => `/brands/${encodeURIComponent(id)}`;

export const brandsApi = {
  /** Every brand: the default first (once it was saved), then the others in order. */
  list: (): Promise<BrandEntryView[]> => call<BrandEntryView[]>('GET', '/brands'),
  create: (doc: BrandEntryDocument): Promise<BrandEntryView> => callJson<BrandEntryView>('POST', '/brands', doc),
  get: (id: string): Promise<BrandEntryView> => call<BrandEntryView>('GET', brandPath(id)),
  put: (id: string, doc: BrandEntryDocument): Promise<BrandEntryView> => callJson<BrandEntryView>('PUT', brandPath(id), doc),
  remove: (id: string): Promise<void> => call<void>('DELETE', brandPath(id)),
  putLogo: async (id: string, file: File): Promise<BrandEntryView> => (await request<BrandEntryView>('PUT', `${brandPath(id)}/logo`, file, { 'content-type': file.type || 'application/octet-stream' })).data,
  deleteLogo: (id: string): Promise<void> => call<void>('DELETE', `${brandPath(id)}/logo`),
  /**
   * Where this app shows a further brand's logo: its `logoUrl` (/branding/logo) serves the brand of
   * the host it is loaded from, so on the staff app's own host it would be the default brand's.
   */
  logoSrc: (b: BrandEntryView): string | null => {
    if (!b.logoUrl) {
      return null;
    }
    const version = new URL(b.logoUrl, 'http://gateway.invalid').searchParams.get('v');
    return `/api/v1${brandPath(b.id)}/logo${version ? `?v=${encodeURIComponent(version)}` : ''}`;
  },
};
