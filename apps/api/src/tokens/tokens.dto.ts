import { ApiProperty } from '@nestjs/swagger';
import { SCOPES, type Scope } from '@mft/identity';

/** What each scope lets a token do, as the staff app and the API document say it. */
export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'links:read': 'See your links, your profile and your tokens',
  'links:write': 'Send files, share, revoke and resend your links',
  'audit:read': 'Read and verify the audit log (admins and auditors only)',
  admin: 'Everything your roles allow, administration included',
};

export class TokenScopeDto {
  @ApiProperty({ enum: SCOPES }) scope!: string;
  @ApiProperty({ description: 'What a token with this scope may do' }) description!: string;
}

export class ApiTokenDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes!: string[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null: the token never expires' }) expiresAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The last request made with it (recorded at most once a minute)' })
  lastUsedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When it was revoked; a revoked token is listed for the record' })
  revokedAt!: string | null;
}

export class CreatedTokenDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes!: string[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ description: 'The user the token acts as' }) username!: string;
  @ApiProperty({ description: 'The bearer secret (Authorization: Bearer …). Shown only in this answer, never again.' }) token!: string;
}
