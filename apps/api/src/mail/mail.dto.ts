import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const MAIL_STATUSES = ['queued', 'sending', 'sent', 'failed', 'suppressed', 'withdrawn'] as const;

export class MailMessageDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['recipient-invitation', 'verification-code', 'download-notification', 'expired-unused'] }) template!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ enum: MAIL_STATUSES, description: 'suppressed: a code for an address that may not open the link, never sent (so that the page cannot tell); withdrawn: replaced by a new invitation while it was being sent (sentAt set if the mail server had already begun to take it)' })
  status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true, description: 'The last failure, naming the SMTP command' }) lastError!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) sentAt!: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'When the next attempt is due, for a message still waiting' }) nextAttemptAt!: string | null;
  @ApiProperty({ description: 'The Message-ID header' }) messageId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) linkId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) grantId!: string | null;
}
