import { Injectable } from '@nestjs/common';
import { Database } from '@mft/db';
import type { Brand } from './brand.js';

/** A stored brand without its image bytes (what every replica keeps in memory). */
export interface BrandRecord extends Brand {
  readonly id: string;
  readonly isDefault: boolean;
  readonly domains: readonly string[];
  readonly groups: readonly string[];
  readonly position: number;
  readonly logoType: string | null;
  readonly logoHash: string | null;
  readonly version: number;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** A brand's stored logo and the favicon made from it. */
export interface BrandImages {
  readonly logo: Buffer;
  readonly logoType: string;
  readonly logoHash: string;
  readonly favicon: Buffer;
}

interface Row {
  id: string;
  name: string;
  primary_color: string;
  accent_color: string;
  support_email: string | null;
  footer: string | null;
  public_url: string | null;
  domains: string[];
  groups: string[];
  position: number;
  is_default: boolean;
  logo_type: string | null;
  logo_hash: string | null;
  version: string | number;
  updated_at: Date | string;
  updated_by: string;
}

const COLUMNS = `id, name, primary_color, accent_color, support_email, footer, public_url, domains, groups, position, is_default, logo_type, logo_hash, version, updated_at, updated_by`;

const toRecord = (r: Row): BrandRecord => ({
  id: r.id,
  name: r.name,
  primaryColor: r.primary_color,
  accentColor: r.accent_color,
  supportEmail: r.support_email,
  footer: r.footer,
  publicUrl: r.public_url,
  domains: r.domains,
  groups: r.groups,
  position: Number(r.position),
  isDefault: r.is_default,
  logoType: r.logo_type,
  logoHash: r.logo_hash,
  version: Number(r.version),
  updatedAt: new Date(r.updated_at).toISOString(),
  updatedBy: r.updated_by,
});

const asBuffer = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array));

/** Every SQL statement about brands. */
@Injectable()
export class BrandingRepository {
  constructor(private readonly db: Database) {}

  /** Whether anything changed: a new version or a deleted row changes one of the two. */
  async stamp(): Promise<string> {
    const [row] = await this.db.query<{ v: string | number; n: string | number }>(`SELECT coalesce(max(version), 0) AS v, count(*) AS n FROM brands`);
    return `${String(row?.v ?? 0)}:${String(row?.n ?? 0)}`;
  }

  async all(): Promise<BrandRecord[]> {
    const rows = await this.db.query<Row>(`SELECT ${COLUMNS} FROM brands ORDER BY is_default DESC, position, name`);
    return rows.map(toRecord);
  }

  /** Replaces the default brand's document (creating its row when there is none); its images stay. */
  async upsertDefault(id: string, b: Brand, by: string): Promise<BrandRecord> {
    const [row] = await this.db.query<Row>(
      `INSERT INTO brands (id, name, primary_color, accent_color, support_email, footer, public_url, is_default, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8)
       ON CONFLICT (is_default) WHERE is_default DO UPDATE SET
         name = EXCLUDED.name, primary_color = EXCLUDED.primary_color, accent_color = EXCLUDED.accent_color,
         support_email = EXCLUDED.support_email, footer = EXCLUDED.footer, public_url = EXCLUDED.public_url,
         version = nextval('brand_versions'), updated_at = now(), updated_by = EXCLUDED.updated_by
       RETURNING ${COLUMNS}`,
      [id, b.name, b.primaryColor, b.accentColor, b.supportEmail, b.footer, b.publicUrl, by],
    );
    return toRecord(row!);
  }

  /** A further (not default) brand. */
  async insert(id: string, b: Brand, extra: { domains: readonly string[]; groups: readonly string[]; position: number }, by: string): Promise<BrandRecord> {
    const [row] = await this.db.query<Row>(
      `INSERT INTO brands (id, name, primary_color, accent_color, support_email, footer, public_url, domains, groups, position, is_default, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, false, $11) RETURNING ${COLUMNS}`,
      [id, b.name, b.primaryColor, b.accentColor, b.supportEmail, b.footer, b.publicUrl, extra.domains, extra.groups, extra.position, by],
    );
    return toRecord(row!);
  }

  /** Replaces a brand's document, host names, groups and position; its images stay. */
  async update(id: string, b: Brand, extra: { domains: readonly string[]; groups: readonly string[]; position: number }, by: string): Promise<BrandRecord | null> {
    const [row] = await this.db.query<Row>(
      `UPDATE brands SET name = $2, primary_color = $3, accent_color = $4, support_email = $5, footer = $6, public_url = $7,
         domains = $8, groups = $9, position = $10, version = nextval('brand_versions'), updated_at = now(), updated_by = $11
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, b.name, b.primaryColor, b.accentColor, b.supportEmail, b.footer, b.publicUrl, extra.domains, extra.groups, extra.position, by],
    );
    return row ? toRecord(row) : null;
  }

  /** Deletes a further brand (never the default); false when there is none. */
  async delete(id: string): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(`DELETE FROM brands WHERE id = $1 AND NOT is_default RETURNING id`, [id]);
    return rows.length > 0;
  }

  /** Sets (or, with null, removes) a brand's logo and favicon. */
  async setImages(brandId: string, images: BrandImages | null, by: string): Promise<BrandRecord | null> {
    const [row] = await this.db.query<Row>(
      `UPDATE brands SET logo = $2, logo_type = $3, logo_hash = $4, favicon = $5,
         version = nextval('brand_versions'), updated_at = now(), updated_by = $6
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [brandId, images?.logo ?? null, images?.logoType ?? null, images?.logoHash ?? null, images?.favicon ?? null, by],
    );
    return row ? toRecord(row) : null;
  }

  /** The IdP groups of a user, as their last sign-in brought them. */
  async groupsOf(userId: string): Promise<string[]> {
    const [row] = await this.db.query<{ groups: string[] }>(`SELECT groups FROM users WHERE id = $1`, [userId]);
    return row?.groups ?? [];
  }

  async logo(brandId: string): Promise<{ bytes: Buffer; type: string; hash: string } | null> {
    const [row] = await this.db.query<{ logo: unknown; logo_type: string; logo_hash: string }>(
      `SELECT logo, logo_type, logo_hash FROM brands WHERE id = $1 AND logo IS NOT NULL`,
      [brandId],
    );
    return row ? { bytes: asBuffer(row.logo), type: row.logo_type, hash: row.logo_hash } : null;
  }

  async favicon(brandId: string): Promise<{ bytes: Buffer; hash: string } | null> {
    const [row] = await this.db.query<{ favicon: unknown; logo_hash: string }>(`SELECT favicon, logo_hash FROM brands WHERE id = $1 AND favicon IS NOT NULL`, [brandId]);
    return row ? { bytes: asBuffer(row.favicon), hash: row.logo_hash } : null;
  }
}
