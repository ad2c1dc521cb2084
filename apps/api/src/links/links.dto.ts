import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The multipart form of POST /api/v1/links (documentation; the body is streamed, not buffered). */
export class CreateSendLinkFormDto {
  @ApiProperty({ type: 'array', items: { type: 'string', format: 'binary' }, description: 'One or more file parts (any field name).' })
  file!: unknown[];
  @ApiPropertyOptional({ enum: ['send'], default: 'send' })
  kind?: string;
  @ApiPropertyOptional({ description: 'Comma-separated recipient emails; one grant (own URL) each. None: one anonymous grant.' })
  recipients?: string;
  @ApiPropertyOptional({ type: 'boolean', description: 'Allow exactly one completed download per grant. Default and enforcement: the policy (oneTime.mode).' })
  oneTime?: boolean;
  @ApiPropertyOptional({ description: 'Completed downloads per grant: a whole number, or "unlimited". Default and cap: the policy (downloads).' })
  maxDownloads?: string;
  @ApiPropertyOptional({ description: 'ISO 8601 with time zone, or "never" where the policy allows it. Default and maximum: the policy (expiry).' })
  expiresAt?: string;
  @ApiPropertyOptional({ description: 'Link password (hashed with argon2id); empty for explicitly none. The policy may require one, set its minimum length, or generate it.' })
  password?: string;
  @ApiPropertyOptional({ type: 'boolean', description: 'Recipients must confirm their email address with a code sent to it before they see the files.' })
  requireEmailVerification?: boolean;
  @ApiPropertyOptional({ description: 'A message shown to recipients, on the page and in their email.' })
  message?: string;
  @ApiPropertyOptional({ type: 'boolean', default: true, description: 'Email each recipient their own link.' })
  notify?: boolean;
  @ApiPropertyOptional({ type: 'boolean', default: true, description: 'Email the sender on each completed download and when the link expires unused.' })
  notifyOnDownload?: boolean;
}

/** The JSON body of POST /api/v1/links for a share link. */
export class CreateShareLinkDto {
  @ApiProperty({ enum: ['share'] }) kind!: string;
  @ApiProperty({ description: 'The storage connection (`default`: the local files under DATA_DIR/files).' }) connectionId!: string;
  @ApiProperty({ description: 'The file or folder to share, from the connection root, e.g. /docs/report.pdf.' }) path!: string;
  @ApiPropertyOptional({ type: 'boolean', description: 'Refuse the file once it changed (409 share_content_changed). Default on for file shares; folders are never pinned.' })
  pinContent?: boolean;
  @ApiPropertyOptional({ type: [String], description: 'Recipient emails (an array, or one comma-separated string); one grant each.' }) recipients?: string[];
  @ApiPropertyOptional({ type: 'boolean' }) oneTime?: boolean;
  @ApiPropertyOptional({ description: 'A whole number, or "unlimited".' }) maxDownloads?: string;
  @ApiPropertyOptional({ description: 'ISO 8601 with time zone, or "never".' }) expiresAt?: string;
  @ApiPropertyOptional() password?: string;
  @ApiPropertyOptional({ type: 'boolean' }) requireEmailVerification?: boolean;
  @ApiPropertyOptional() message?: string;
  @ApiPropertyOptional({ type: 'boolean', default: true }) notify?: boolean;
  @ApiPropertyOptional({ type: 'boolean', default: true }) notifyOnDownload?: boolean;
}

export class ShareDto {
  @ApiProperty() connectionId!: string;
  @ApiProperty({ description: 'The shared file or folder, from the connection root.' }) path!: string;
  @ApiProperty({ enum: ['file', 'folder'] }) target!: string;
  @ApiProperty() pinContent!: boolean;
  @ApiProperty({ type: Object, nullable: true, description: 'A file share: its size, modifiedAt and version when shared.' })
  pinned!: { size: number; modifiedAt: string; version: string } | null;
}

export class GrantUrlDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: String, nullable: true }) recipient!: string | null;
  @ApiProperty({ description: 'The recipient page; shown once.' }) url!: string;
}

export class ResentInvitationDto {
  @ApiProperty({ format: 'uuid', description: 'The grant' }) id!: string;
  @ApiProperty() recipient!: string;
  @ApiProperty({ description: 'The new recipient page, also in the new email; shown once. The previous address no longer works.' }) url!: string;
}

export class ResetFileDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() size!: number;
  @ApiProperty({ description: 'Bytes of this file the reset download had delivered.' }) deliveredBytes!: number;
}

export class GrantResetDto {
  @ApiProperty({ format: 'uuid', description: 'The grant' }) id!: string;
  @ApiProperty({ type: String, nullable: true }) recipient!: string | null;
  @ApiProperty({ description: 'Bytes the reset download had delivered, over all files.' }) deliveredBytes!: number;
  @ApiProperty({ type: [ResetFileDto] }) files!: ResetFileDto[];
}

export class CreatedLinkDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['send', 'share'] }) kind!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null: never expires' }) expiresAt!: string | null;
  @ApiProperty({ type: [GrantUrlDto] }) grants!: GrantUrlDto[];
  @ApiPropertyOptional({ description: 'A password the policy made the gateway generate; shown only here, for the sender to pass on separately.' })
  password?: string;
}

export class LinkFileDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() size!: number;
  @ApiProperty() sha256!: string;
  @ApiProperty() contentType!: string;
}

export class DeliveryDto {
  @ApiProperty({ type: String, nullable: true, enum: ['queued', 'sent', 'outbox', 'failed'], description: 'null: no email was sent to this recipient.' })
  status!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The last failure, while retrying or once failed.' }) error!: string | null;
  @ApiProperty({ type: String, nullable: true }) text!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'When the mail server accepted it (status sent).' }) deliveredAt!: string | null;
}

export class GrantTrackingDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: String, nullable: true }) recipient!: string | null;
  @ApiProperty({ enum: ['queued', 'delivery_failed', 'sent', 'opened', 'downloading', 'downloaded', 'consumed', 'revoked', 'expired'] }) status!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the mail server accepted the email to the recipient.' })
  deliveredAt!: string | null;
  @ApiProperty({ type: () => DeliveryDto }) delivery!: DeliveryDto;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'First view of the page (not prefetches or HEAD).' })
  openedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) downloadedAt!: string | null;
  @ApiProperty() downloads!: number;
  @ApiProperty({ description: 'Bytes delivered so far by the unfinished download that holds the grant (status downloading); 0 when none does.' })
  deliveredBytes!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) endedAt!: string | null;
  @ApiProperty({ description: "Whether the recipient's access still works, so DELETE .../grants/:grantId would end it" }) canRevoke!: boolean;
  @ApiProperty({ description: 'Whether POST .../grants/:grantId/resend may send a new invitation now (a recipient, the grant live, no download holding it)' })
  canResend!: boolean;
}

export class LinkDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['send', 'share'] }) kind!: string;
  @ApiProperty() owner!: string;
  @ApiProperty({ enum: ['active', 'revoked', 'expired', 'consumed'] }) status!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty() oneTime!: boolean;
  @ApiProperty({ type: Number, nullable: true }) maxDownloads!: number | null;
  @ApiProperty() passwordProtected!: boolean;
  @ApiProperty() requireEmailVerification!: boolean;
  @ApiProperty({ type: String, nullable: true }) message!: string | null;
  @ApiProperty() emailRecipients!: boolean;
  @ApiProperty() notifyOnDownload!: boolean;
  @ApiProperty({ type: String, nullable: true }) revokedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) endedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) endedReason!: string | null;
  @ApiProperty({ type: String, nullable: true }) purgedAt!: string | null;
  @ApiProperty({ description: 'Whether the link still works, so DELETE /api/v1/links/:id would end it' }) canRevoke!: boolean;
  @ApiProperty({ type: [LinkFileDto] }) files!: LinkFileDto[];
  @ApiProperty({ type: [GrantTrackingDto] }) grants!: GrantTrackingDto[];
  @ApiPropertyOptional({ type: () => ShareDto, description: 'Share links: what the link points at.' }) share?: ShareDto;
  @ApiPropertyOptional({ description: 'Share links: the storage connection.' }) connectionId?: string;
  @ApiPropertyOptional({ description: 'Share links: the shared path.' }) path?: string;
  @ApiPropertyOptional({ description: 'Share links: whether the file is pinned.' }) pinContent?: boolean;
}

export class ErrorDto {
  @ApiProperty({ example: 'policy_expiry_too_long' }) code!: string;
  @ApiProperty() message!: string;
}

export class LinkActivityDto {
  @ApiProperty({ description: 'The audit event type', example: 'download.completed' }) type!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The recipient grant; null for the link as a whole' }) grantId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The recipient's IP; null for what the gateway did itself" }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The email the recipient's browser session had verified" }) email!: string | null;
  @ApiProperty({ description: 'What happened, as a sentence' }) detail!: string;
}
