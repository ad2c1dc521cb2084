import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const OPTIONS_DESCRIPTION =
  'The options of every send link made from the folder, as POST /api/v1/links takes them: oneTime, maxDownloads (a number or "unlimited"), expiresAt (ISO 8601 or "never"; left out, the policy default applies to each link), requireEmailVerification, notify, notifyOnDownload, and password (write-only: a string sets it, null removes it). Checked by the same parser as links.';

/** The body of POST /api/v1/drop-folders (and, every field optional, of PATCH). */
export class CreateDropFolderDto {
  @ApiProperty({ description: 'One folder name: 1 to 64 of A-Z a-z 0-9, space, "-", "_" and "."; not starting or ending with a space or a dot; unique whatever its case', example: 'Finance reports' })
  name!: string;
  @ApiProperty({ type: [String], description: '1 to 50 email addresses, each a recipient grant of every link', example: ['auditor@x.example'] })
  recipients!: string[];
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: OPTIONS_DESCRIPTION, example: { oneTime: true, expiresAt: 'never' } })
  options?: Record<string, unknown>;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'The message of every link (at most 4000 characters)' })
  message?: string | null;
  @ApiPropertyOptional({ type: [String], enum: ['admin', 'manager', 'employee', 'auditor', 'external'], description: 'Roles whose holders may use the folder' })
  roles?: string[];
  @ApiPropertyOptional({ type: [String], description: 'IdP groups whose members may use the folder (with neither roles nor groups: admins only)' })
  groups?: string[];
}

/** A drop folder as administrators see it. */
export class DropFolderDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String] }) recipients!: string[];
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The link options, never the password' }) options!: Record<string, unknown>;
  @ApiProperty({ description: 'Whether its links get a password' }) passwordProtected!: boolean;
  @ApiProperty({ type: String, nullable: true }) message!: string | null;
  @ApiProperty({ type: [String] }) roles!: string[];
  @ApiProperty({ type: [String] }) groups!: string[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty() createdBy!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty() updatedBy!: string;
  @ApiProperty({ description: '1 at creation, bumped by every change' }) version!: number;
}

export class DropFolderListDto {
  @ApiProperty({ type: [DropFolderDto] }) dropFolders!: DropFolderDto[];
}

/** A drop folder as someone who may use it sees it. */
export class UsableDropFolderDto {
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Its place in your SFTP tree', example: '/drop/Finance reports/' }) path!: string;
  @ApiProperty({ type: [String] }) recipients!: string[];
  @ApiProperty({ type: String, nullable: true }) message!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The link options, never the password' }) options!: Record<string, unknown>;
  @ApiProperty() passwordProtected!: boolean;
}

export class UsableDropFolderListDto {
  @ApiProperty({ type: [UsableDropFolderDto] }) dropFolders!: UsableDropFolderDto[];
}
