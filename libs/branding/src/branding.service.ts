import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AuditService, type AccessContext } from '@mft/audit';
import { AppConfigService } from '@mft/config';
import { ConflictError, NotFoundError } from '@mft/core';
import { Database } from '@mft/db';
import { DEFAULT_BRAND, type Brand, type TemplateBrand } from './brand.js';
import { requestHost } from './brand-host.js';
import { parseBrand, parseBrandEntry } from './brand.schema.js';
import { BrandingRepository, type BrandRecord } from './branding.repository.js';
import { prepareLogo, type LogoType } from './logo.js';

/** How long a replica trusts its copy of the brands before it checks the table's version again. */
const TTL_MS = 2000;

/** The URLs a page's head needs besides the brand: its colours and its favicon. */
export interface PageAssets {
  readonly themeUrl: string;
  readonly faviconUrl: string;
  readonly faviconType: string;
}

/** A brand as /api/v1/brands shows it. */
export interface BrandEntryView extends BrandingView {
  readonly id: string;
  readonly isDefault: boolean;
  readonly domains: readonly string[];
  readonly groups: readonly string[];
  readonly position: number;
}

/** The default brand as the API shows it. */
export interface BrandingView extends Brand {
  readonly logoUrl: string | null;
  readonly faviconUrl: string | null;
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

/**
 * The one source of the brand: every page, the staff app and every email ask it.
 *
 * Replicas: each process keeps the brands (without image bytes) in memory. Pages are rendered
 * synchronously from that copy; every read older than TTL_MS (2 s) starts a version check
 * (`max(version)` and `count(*)` of `brands`, one cheap query) that reloads the copy when another
 * replica changed it, and a timer does the same check every TTL_MS while the process runs. So a
 * change made on one replica shows on every other within about two seconds, and at once on the
 * replica that made it. Writes check the table themselves, outside their transaction.
 */
@Injectable()
export class BrandingService implements OnModuleInit, OnModuleDestroy {
  readonly #logger = new Logger('Branding');
  #brands: readonly BrandRecord[] = [];
  #stamp = '';
  #checkedAt = 0;
  #checking: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: AppConfigService,
    private readonly repo: BrandingRepository,
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.check();
    this.#timer = setInterval(() => void this.check(), TTL_MS);
    this.#timer.unref();
  }

  onModuleDestroy(): void {
    if (this.#timer) {
      clearInterval(this.#timer);
    }
  }

  /** Reloads the copy when the table changed since the last look (one check at a time). */
  private check(): Promise<void> {
    this.#checking ??= (async () => {
      try {
        const stamp = await this.repo.stamp();
        if (stamp !== this.#stamp) {
          this.#brands = await this.repo.all();
          this.#stamp = stamp;
        }
        this.#checkedAt = Date.now();
      } catch (err) {
        this.#logger.warn({ msg: 'cannot read the brands; keeping the last ones read', err: err instanceof Error ? err.message : String(err) });
      }
    })().finally(() => (this.#checking = null));
    return this.#checking;
  }

  /** Reads the table again, after any check already under way (which may have begun before a write committed). */
  private async reload(): Promise<void> {
    await this.#checking;
    await this.check();
  }

  /**
   * Starts a version check when the copy is older than TTL_MS, without waiting for it: a caller
   * may be inside a transaction (an invitation queued with its link), and on the embedded database
   * (one connection) a check waiting behind that transaction would wait for ever. The copy is at
   * most a few seconds old anyway (the timer), and always current after this replica's own writes.
   */
  private async fresh(): Promise<void> {
    if (Date.now() - this.#checkedAt > TTL_MS) {
      void this.check();
    }
  }

  private defaultRecord(): BrandRecord | null {
    return this.#brands.find((b) => b.isDefault) ?? null;
  }

  /** The brand of the request being handled: the one served on its host name, else the default. */
  private servedRecord(): BrandRecord | null {
    const host = requestHost.getStore();
    return (host ? this.#brands.find((b) => !b.isDefault && b.domains.includes(host)) : undefined) ?? this.defaultRecord();
  }

  /** The brand document in force for the request being handled (its host's brand, else the default). */
  brand(): Brand {
    if (Date.now() - this.#checkedAt > TTL_MS) {
      void this.check();
    }
    return this.documentOf(this.servedRecord());
  }

  private documentOf(d: BrandRecord | null): Brand {
    return d
      ? { name: d.name, primaryColor: d.primaryColor, accentColor: d.accentColor, supportEmail: d.supportEmail, footer: d.footer, publicUrl: d.publicUrl }
      : DEFAULT_BRAND;
  }

  /** The version of what pages show (theme.css and the logo URLs carry it, for cache busting). */
  version(): string {
    const d = this.servedRecord();
    return d ? String(d.version) : '0';
  }

  private logoPath(): string | null {
    const hash = this.servedRecord()?.logoHash;
    return hash ? `/branding/logo?v=${hash}` : null;
  }

  /** What page templates see as `brand` (the logo URL root-relative: it loads from the host serving the page). */
  templateBrand(): TemplateBrand {
    const b = this.brand();
    return { ...b, logoUrl: this.logoPath(), publicUrl: b.publicUrl ?? this.config.publicUrl };
  }

  /** The theme stylesheet and favicon of pages, versioned so that a change shows at once. */
  pageAssets(): PageAssets {
    const hash = this.servedRecord()?.logoHash;
    return {
      themeUrl: `/branding/theme.css?v=${this.version()}`,
      faviconUrl: hash ? `/branding/favicon?v=${hash}` : '/static/favicon.svg',
      faviconType: hash ? 'image/png' : 'image/svg+xml',
    };
  }

  /** The page brand, checked against the database first (for callers that may wait). */
  async pageBrand(): Promise<TemplateBrand> {
    await this.fresh();
    return this.templateBrand();
  }

  /** What email templates see as `brand`, queued with the message (absolute URLs: it is read in a mail client). */
  async mailBrand(): Promise<TemplateBrand> {
    await this.fresh();
    // The brand of the host being served (a recipient asking for a code), else the default.
    return this.mailBrandOf(this.servedRecord());
  }

  private mailBrandOf(d: BrandRecord | null): TemplateBrand {
    const b = this.documentOf(d);
    const publicUrl = b.publicUrl ?? this.config.publicUrl;
    return { ...b, publicUrl, logoUrl: d?.logoHash ? `${publicUrl}/branding/logo?v=${d.logoHash}` : null };
  }

  /**
   * The brand of a user's links: the first further brand (lowest position, then name) naming one of
   * the user's IdP groups, else the default. No wait on a version check: this runs inside the
   * transaction that writes a link.
   */
  private async recordOfUser(userId: string): Promise<BrandRecord | null> {
    const others = this.#brands.filter((b) => !b.isDefault && b.groups.length > 0);
    if (others.length > 0) {
      const groups = new Set(await this.repo.groupsOf(userId));
      const match = others.find((b) => b.groups.some((g) => groups.has(g)));
      if (match) {
        return match;
      }
    }
    return this.defaultRecord();
  }

  /** The base of a brand's link URLs: a further brand's own public URL, else PUBLIC_URL (the contract's base). */
  private linkBaseOf(r: BrandRecord | null): string {
    return r && !r.isDefault && r.publicUrl ? r.publicUrl : this.config.publicUrl;
  }

  /** The base of the grant URLs of a user's links (their brand's public URL). */
  async linkBaseUrl(userId: string): Promise<string> {
    return this.linkBaseOf(await this.recordOfUser(userId));
  }

  /** The brand of the emails about a user's links, as templates see it (absolute URLs). */
  async mailBrandOfUser(userId: string): Promise<TemplateBrand> {
    return this.mailBrandOf(await this.recordOfUser(userId));
  }

  /** Whether `host` is one of a further brand's domains (false in a gateway with one brand). */
  servesDomain(host: string): boolean {
    const h = host.toLowerCase();
    return this.#brands.some((b) => !b.isDefault && b.domains.includes(h));
  }

  /**
   * Where a grant URL opened on another brand's domain belongs: the same path and query on the
   * link's own brand's base URL; null when the request's host is served by that brand or by no
   * brand at all (an address of the gateway itself).
   */
  async redirectFor(ownerId: string, host: string, originalUrl: string): Promise<string | null> {
    const servedHere = this.#brands.find((b) => !b.isDefault && b.domains.includes(host.toLowerCase()));
    if (!servedHere) {
      return null;
    }
    const own = await this.recordOfUser(ownerId);
    if (own?.id === servedHere.id) {
      return null;
    }
    return `${this.linkBaseOf(own)}${originalUrl}`;
  }

  /** The default brand as GET /api/v1/branding answers it. */
  async view(): Promise<BrandingView> {
    await this.fresh();
    return this.viewOf(this.defaultRecord());
  }

  private viewOf(d: BrandRecord | null): BrandingView {
    const b = d ?? DEFAULT_BRAND;
    const hash = d?.logoHash ?? null;
    return {
      name: b.name,
      primaryColor: b.primaryColor,
      accentColor: b.accentColor,
      supportEmail: b.supportEmail,
      footer: b.footer,
      publicUrl: b.publicUrl,
      logoUrl: hash ? `/branding/logo?v=${hash}` : null,
      faviconUrl: hash ? `/branding/favicon?v=${hash}` : null,
      updatedAt: d?.updatedAt ?? null,
      updatedBy: d?.updatedBy ?? null,
    };
  }

  /** Replaces the default brand's document (PUT): fields left out return to their defaults. Audited as `branding.changed`. */
  async replace(body: unknown, ctx: AccessContext): Promise<BrandingView> {
    const next = parseBrand(body);
    await this.fresh();
    const before = this.documentOf(this.defaultRecord());
    const saved = await this.db.transaction(async () => {
      const row = await this.repo.upsertDefault(randomUUID(), next, ctx.actor);
      const changes = (Object.keys(next) as Array<keyof Brand>).filter((k) => next[k] !== before[k]).map((k) => ({ field: k, from: before[k], to: next[k] }));
      await this.audit.record(ctx, { type: 'branding.changed', details: { brandId: row.id, changes } });
      return row;
    });
    await this.reload();
    return this.viewOf(this.defaultRecord() ?? saved);
  }

  /** Sets the default brand's logo (re-encoded or sanitised; see `prepareLogo`). Audited as `branding.logo_changed`. */
  async setLogo(body: Buffer, type: LogoType, ctx: AccessContext): Promise<BrandingView> {
    const images = await prepareLogo(body, type, this.config.values.branding.maxLogoBytes);
    await this.db.transaction(async () => {
      const d = this.defaultRecord();
      let row = d ? await this.repo.setImages(d.id, images, ctx.actor) : null;
      if (!row) {
        const created = await this.repo.upsertDefault(randomUUID(), this.documentOf(this.defaultRecord()), ctx.actor);
        row = await this.repo.setImages(created.id, images, ctx.actor);
      }
      await this.audit.record(ctx, {
        type: 'branding.logo_changed',
        details: { brandId: row!.id, uploadedType: type, storedType: images.logoType, bytes: images.logo.length, uploadedBytes: body.length, hash: images.logoHash },
      });
    });
    await this.reload();
    return this.viewOf(this.defaultRecord());
  }

  /** Removes the default brand's logo (and favicon). Audited as `branding.logo_removed`; false when there was none. */
  async removeLogo(ctx: AccessContext): Promise<boolean> {
    await this.fresh();
    const d = this.defaultRecord();
    if (!d?.logoHash) {
      return false;
    }
    await this.db.transaction(async () => {
      await this.repo.setImages(d.id, null, ctx.actor);
      await this.audit.record(ctx, { type: 'branding.logo_removed', details: { brandId: d.id, hash: d.logoHash } });
    });
    await this.reload();
    return true;
  }

  /** The logo bytes of the brand served on the request's host (or of a brand by id), or null. */
  async logo(brandId?: string): Promise<{ bytes: Buffer; type: string; hash: string } | null> {
    await this.fresh();
    const d = brandId ? (this.#brands.find((b) => b.id === brandId) ?? null) : this.servedRecord();
    return d?.logoHash ? this.repo.logo(d.id) : null;
  }

  async favicon(): Promise<{ bytes: Buffer; hash: string } | null> {
    await this.fresh();
    const d = this.servedRecord();
    return d?.logoHash ? this.repo.favicon(d.id) : null;
  }

  private entryOf(r: BrandRecord): BrandEntryView {
    return { id: r.id, isDefault: r.isDefault, ...this.viewOf(r), domains: r.domains, groups: r.groups, position: r.position };
  }

  /** Every brand: the default first (once saved), then the others by position. */
  async list(): Promise<BrandEntryView[]> {
    await this.fresh();
    return this.#brands.map((r) => this.entryOf(r));
  }

  async get(id: string): Promise<BrandEntryView> {
    await this.fresh();
    return this.entryOf(this.recordOf(id));
  }

  private recordOf(id: string): BrandRecord {
    const r = this.#brands.find((b) => b.id === id);
    if (!r) {
      throw new NotFoundError('brand_not_found', 'There is no such brand.');
    }
    return r;
  }

  private assertDomainsFree(domains: readonly string[], except: string | null): void {
    for (const other of this.#brands) {
      const taken = other.id !== except ? domains.find((d) => other.domains.includes(d)) : undefined;
      if (taken) {
        throw new ConflictError('brand_domain_taken', `domains: ${taken} is already served with the brand ${JSON.stringify(other.name)}.`);
      }
    }
  }

  /** Creates a further brand (POST /api/v1/brands). Audited as `branding.brand_created`. */
  async create(body: unknown, ctx: AccessContext): Promise<BrandEntryView> {
    const entry = parseBrandEntry(body);
    await this.reload();
    this.assertDomainsFree(entry.domains, null);
    const row = await this.db.transaction(async () => {
      const created = await this.repo.insert(randomUUID(), entry.brand, entry, ctx.actor);
      await this.audit.record(ctx, { type: 'branding.brand_created', details: { brandId: created.id, ...entry.brand, domains: entry.domains, groups: entry.groups, position: entry.position } });
      return created;
    });
    await this.reload();
    return this.entryOf(this.#brands.find((b) => b.id === row.id) ?? row);
  }

  /** Replaces a brand (PUT /api/v1/brands/:id): fields left out return to their defaults; images stay. Audited as `branding.changed`. */
  async update(id: string, body: unknown, ctx: AccessContext): Promise<BrandEntryView> {
    const entry = parseBrandEntry(body);
    await this.reload();
    const before = this.recordOf(id);
    this.assertDomainsFree(entry.domains, id);
    const row = await this.db.transaction(async () => {
      const updated = await this.repo.update(id, entry.brand, entry, ctx.actor);
      if (!updated) {
        throw new NotFoundError('brand_not_found', 'There is no such brand.');
      }
      const beforeDoc = this.documentOf(before);
      const changes = (Object.keys(entry.brand) as Array<keyof Brand>).filter((k) => entry.brand[k] !== beforeDoc[k]).map((k) => ({ field: k, from: beforeDoc[k], to: entry.brand[k] }));
      await this.audit.record(ctx, { type: 'branding.changed', details: { brandId: id, changes, domains: entry.domains, groups: entry.groups, position: entry.position } });
      return updated;
    });
    await this.reload();
    return this.entryOf(this.#brands.find((b) => b.id === row.id) ?? row);
  }

  /** Deletes a further brand (the default cannot be: PUT /api/v1/branding resets it). Audited as `branding.brand_deleted`. */
  async remove(id: string, ctx: AccessContext): Promise<void> {
    await this.reload();
    const r = this.recordOf(id);
    if (r.isDefault) {
      throw new ConflictError('brand_is_default', 'The default brand cannot be deleted; PUT /api/v1/branding with {} returns it to the built-in brand.');
    }
    await this.db.transaction(async () => {
      if (!(await this.repo.delete(id))) {
        throw new NotFoundError('brand_not_found', 'There is no such brand.');
      }
      await this.audit.record(ctx, { type: 'branding.brand_deleted', details: { brandId: id, name: r.name, domains: r.domains } });
    });
    await this.reload();
  }

  /** Sets a brand's logo (PUT /api/v1/brands/:id/logo), as `setLogo` does for the default. */
  async setBrandLogo(id: string, body: Buffer, type: LogoType, ctx: AccessContext): Promise<BrandEntryView> {
    await this.reload();
    this.recordOf(id);
    const images = await prepareLogo(body, type, this.config.values.branding.maxLogoBytes);
    await this.db.transaction(async () => {
      if (!(await this.repo.setImages(id, images, ctx.actor))) {
        throw new NotFoundError('brand_not_found', 'There is no such brand.');
      }
      await this.audit.record(ctx, { type: 'branding.logo_changed', details: { brandId: id, uploadedType: type, storedType: images.logoType, bytes: images.logo.length, uploadedBytes: body.length, hash: images.logoHash } });
    });
    await this.reload();
    return this.entryOf(this.recordOf(id));
  }

  /** Removes a brand's logo (DELETE /api/v1/brands/:id/logo), as `removeLogo` does for the default; false when it had none. */
  async removeBrandLogo(id: string, ctx: AccessContext): Promise<boolean> {
    await this.reload();
    const r = this.recordOf(id);
    if (!r.logoHash) {
      return false;
    }
    await this.db.transaction(async () => {
      if (!(await this.repo.setImages(id, null, ctx.actor))) {
        throw new NotFoundError('brand_not_found', 'There is no such brand.');
      }
      await this.audit.record(ctx, { type: 'branding.logo_removed', details: { brandId: id, hash: r.logoHash } });
    });
    await this.reload();
    return true;
  }

  /** The stylesheet that gives pages the brand's colours (no inline style: the CSP allows none). */
  async themeCss(): Promise<{ css: string; version: string }> {
    await this.fresh();
    const b = this.brand();
    // The colours are validated #rrggbb: nothing else can reach the stylesheet.
    const css = `:root { --primary: ${b.primaryColor}; --accent: ${b.accentColor}; }\n`;
    return { css, version: this.version() };
  }
}
