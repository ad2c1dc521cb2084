import { call } from './client.ts';

export type MailStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'suppressed' | 'withdrawn';

/** One message of the outgoing mail queue (never its content). */
export interface MailMessage {
  readonly id: string;
  readonly template: string;
  readonly to: string;
  readonly status: MailStatus;
  readonly attempts: number;
  /** The last failure, naming the SMTP command. */
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly sentAt: string | null;
  /** When the next attempt is due, for a message still waiting. */
  readonly nextAttemptAt: string | null;
  readonly messageId: string;
  readonly linkId: string | null;
  readonly grantId: string | null;
}

export interface MailQuery {
  readonly status?: MailStatus | '';
  /** Paging: the id of the last message of the previous page. */
  readonly before?: string;
  readonly limit?: number;
}

/** The outgoing mail queue (admins), newest first. */
export const mailApi = {
  messages: (q: MailQuery = {}): Promise<MailMessage[]> => {
    const params = new URLSearchParams({ limit: String(q.limit ?? 50) });
    if (q.status) {
      params.set('status', q.status);
    }
    if (q.before) {
      params.set('before', q.before);
    }
    return call<MailMessage[]>('GET', `/mail/messages?${params.toString()}`);
  },
};
