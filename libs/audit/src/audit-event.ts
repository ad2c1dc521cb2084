/** Every kind of audited event. Stable strings: auditors filter and alert on them. */
export const AUDIT_EVENT_TYPES = [
  'token.created',
  'token.revoked',
  'user.created',
  'user.roles_changed',
  'user.disabled',
  'user.enabled',
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.locked_out',
  'auth.totp_enrolled',
  'auth.recovery_code_used',
  'link.created',
  'link.revoked',
  'link.expired',
  'link.consumed',
  'link.purged',
  'grant.revoked',
  'grant.invitation_resent',
  'grant.claimed',
  'grant.released',
  'grant.reset',
  'grant.consumed',
  'page.opened',
  'unlock.succeeded',
  'unlock.failed',
  'unlock.rate_limited',
  'download.started',
  'download.completed',
  'download.interrupted',
  'download.refused',
  'download.cut',
  'upload.failed',
  'upload.abandoned',
  'policy.changed',
  'link.expiry_shortened',
  'mail.sent',
  'mail.deferred',
  'mail.failed',
  'mail.template_changed',
  'mail.template_restored',
  'mail.template_reset',
  'email.code_requested',
  'email.code_rate_limited',
  'email.verified',
  'email.verify_failed',
  'email.locked',
  'auth.token_rejected',
  'auth.forbidden',
  'auth.csrf_failed',
  'link.access_denied',
  'link.unknown_token',
  'audit.suppressed',
  'cli.token.create',
  'cli.admin.set-password',
  'cli.user.add',
  'cli.secrets.rotate',
  'cli.user.add-key',
  'cli.user.disable',
  'cli.user.enable',
  'connection.created',
  'connection.updated',
  'connection.deleted',
  'connection.tested',
  'settings.send_storage_changed',
  'sftp.key_added',
  'sftp.key_revoked',
  'sftp.app_password_created',
  'sftp.app_password_revoked',
  'sftp.session_closed',
  'sftp.drop_refused',
  'sftp.file_read',
  'sftp.file_written',
  'sftp.file_deleted',
  'sftp.file_renamed',
  'sftp.folder_created',
  'sftp.folder_deleted',
  'drop_folder.created',
  'drop_folder.updated',
  'drop_folder.deleted',
  'branding.changed',
  'branding.logo_changed',
  'branding.logo_removed',
  'branding.brand_created',
  'branding.brand_deleted',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export type AuditOutcome = 'success' | 'failure' | 'denied';

/** Who did it and from where: filled at each protocol edge, carried into every event. */
export interface AccessContext {
  /** `user:<name>`, `recipient:<email>`, `recipient` (anonymous) or `system`. */
  readonly actor: string;
  /** The client IP, honouring only trusted proxies. */
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export const SYSTEM_CONTEXT: AccessContext = { actor: 'system', ip: null, userAgent: null };

/** What a service asks to be recorded. */
export interface AuditEventInput {
  readonly type: AuditEventType;
  readonly outcome?: AuditOutcome;
  readonly linkId?: string | null;
  readonly grantId?: string | null;
  readonly fileId?: string | null;
  readonly bytes?: number | null;
  readonly details?: Record<string, unknown>;
}

/** A stored event, as auditors see and export it. */
export interface AuditEvent {
  readonly seq: number;
  readonly id: string;
  readonly at: string;
  readonly type: string;
  readonly outcome: string;
  readonly actor: string | null;
  readonly linkId: string | null;
  readonly grantId: string | null;
  readonly fileId: string | null;
  readonly bytes: number | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly details: Record<string, unknown>;
  readonly prevHash: string;
  readonly hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);
