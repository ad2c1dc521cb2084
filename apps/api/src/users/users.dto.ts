import { ApiProperty } from '@nestjs/swagger';
import { ROLES } from '@mft/identity';

export class UserIdpDto {
  @ApiProperty({ example: 'oidc:oidc', description: 'oidc:<id> or saml:<id>, as configured' }) id!: string;
  @ApiProperty({ example: 'Single sign-on', description: 'The provider\'s name on the sign-in page' }) name!: string;
}

export class UserCountsDto {
  @ApiProperty({ description: 'API tokens neither revoked nor expired' }) tokens!: number;
  @ApiProperty({ description: 'SSH keys not revoked' }) sshKeys!: number;
  @ApiProperty({ description: 'App passwords not revoked' }) appPasswords!: number;
}

export class ManagedUserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'The user name (the user of GET /api/v1/me, the SFTP login)' }) user!: string;
  @ApiProperty({ type: String, nullable: true }) email!: string | null;
  @ApiProperty({ type: String, nullable: true }) displayName!: string | null;
  @ApiProperty({ enum: ROLES, isArray: true }) roles!: string[];
  @ApiProperty({ enum: ['local', 'idp'], description: 'local: set by administrators (PATCH roles); idp: from the identity provider\'s groups at each sign-in (ROLE_MAP), read-only here' })
  rolesFrom!: 'local' | 'idp';
  @ApiProperty({ type: UserIdpDto, nullable: true, description: 'The identity provider of an SSO user; null for local users' }) idp!: UserIdpDto | null;
  @ApiProperty({ type: [String], description: 'Groups (from the identity provider, or given with mft user add)' }) groups!: string[];
  @ApiProperty() disabled!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) disabledAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'The last sign-in through SSO or the local sign-in page' }) lastSignInAt!: string | null;
  @ApiProperty({ type: UserCountsDto, description: 'Live credentials, which disabling the user revokes' }) counts!: UserCountsDto;
}

export class UpdateUserDto {
  @ApiProperty({ required: false, description: 'true: disable (revokes every session, API token, SSH key and app password at once; links keep working); false: enable again (nothing revoked comes back)' })
  disabled?: boolean;
  @ApiProperty({ required: false, enum: ROLES, isArray: true, description: 'The roles of a local user (one or more); refused with 409 roles_from_idp for SSO users' })
  roles?: string[];
}

export class TokenOwnerDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'The owner\'s user name' }) user!: string;
  @ApiProperty({ type: String, nullable: true }) displayName!: string | null;
}

export class OwnedApiTokenDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ isArray: true, type: String }) scopes!: string[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
  @ApiProperty({ type: TokenOwnerDto }) owner!: TokenOwnerDto;
}
