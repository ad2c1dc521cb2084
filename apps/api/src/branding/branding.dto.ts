import { ApiProperty } from '@nestjs/swagger';

/** The branding document of PUT /api/v1/branding: fields left out return to their defaults. */
export class BrandingDocumentDto {
  @ApiProperty({ required: false, minLength: 1, maxLength: 100, default: 'Secure file transfer', description: 'Shown in page headers, titles, the From display name and every email; text, always escaped.' })
  name?: string;
  @ApiProperty({ required: false, pattern: '^#[0-9a-fA-F]{6}$', default: '#1f5fbf', description: 'The page header background (white text on it must reach 4.5:1).' })
  primaryColor?: string;
  @ApiProperty({ required: false, pattern: '^#[0-9a-fA-F]{6}$', default: '#1f5fbf', description: 'Buttons (white text) and links (on #f6f7f9); each must reach 4.5:1.' })
  accentColor?: string;
  @ApiProperty({ required: false, type: String, nullable: true, format: 'email', description: 'Shown to recipients as whom to ask for help.' })
  supportEmail?: string | null;
  @ApiProperty({ required: false, type: String, nullable: true, maxLength: 500, description: 'A line under every recipient page and email; text, always escaped.' })
  footer?: string | null;
  @ApiProperty({ required: false, type: String, nullable: true, description: 'Absolute http(s) URL without credentials, query or fragment: the base of logo URLs in emails; null: PUBLIC_URL.' })
  publicUrl?: string | null;
}

/** The branding as GET answers it: the document plus its logo and who changed it last. */
export class BrandingDto extends BrandingDocumentDto {
  @ApiProperty({ type: String, nullable: true, example: '/branding/logo?v=3f2a9c0d1e2b4a5c', description: 'null: no logo' }) logoUrl!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '/branding/favicon?v=3f2a9c0d1e2b4a5c' }) faviconUrl!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'null: the built-in brand, never changed' }) updatedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) updatedBy!: string | null;
}

/** A brand of /api/v1/brands: the branding document plus where it is served and whose links it dresses. */
export class BrandEntryDocumentDto extends BrandingDocumentDto {
  @ApiProperty({ required: false, type: [String], example: ['files.acme.example'], description: 'Host names on which pages show this brand (the request Host, lower case, no port).' })
  domains?: string[];
  @ApiProperty({ required: false, type: [String], example: ['acme-staff'], description: 'IdP groups whose members\' links get this brand (first match by position).' })
  groups?: string[];
  @ApiProperty({ required: false, type: Number, default: 0, description: 'Matching order: lower first.' })
  position?: number;
}

export class BrandEntryDto extends BrandingDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'The default brand is the one /api/v1/branding edits; it cannot be deleted.' }) isDefault!: boolean;
  @ApiProperty({ type: [String] }) domains!: string[];
  @ApiProperty({ type: [String] }) groups!: string[];
  @ApiProperty() position!: number;
}
