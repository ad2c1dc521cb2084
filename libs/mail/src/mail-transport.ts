import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { AppConfigService } from '@mft/config';

export interface MailMessage {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Stable per queued message, so that a message sent again after a crash can be recognised as the same one. */
  readonly messageId: string;
}

/** Where a message went: accepted by the SMTP server, or written to the outbox folder. */
export interface MailReceipt {
  readonly channel: 'smtp' | 'outbox';
  /** The SMTP server's answer, or the outbox file. */
  readonly detail: string;
}

/** A refusal the SMTP server made final (5xx): sending again would not help. */
export class PermanentMailError extends Error {
  override name = 'PermanentMailError';
}

/**
 * Hands messages to the configured SMTP server through nodemailer or, with no server configured,
 * writes them as .eml files (mode 0600: they hold link addresses and codes) to the outbox folder.
 */
@Injectable()
export class MailTransport implements OnApplicationShutdown {
  readonly #logger = new Logger('Mail');
  readonly #smtp: Transporter | null;
  readonly #outbox: Transporter | null;
  readonly outboxDir: string;

  constructor(config: AppConfigService) {
    const mail = config.mail;
    this.outboxDir = resolve(mail.outboxDir ?? join(config.dataDir, 'outbox'));
    if (mail.smtpUrl) {
      const timeout = mail.timeoutSeconds * 1000;
      this.#smtp = createTransport({
        url: mail.smtpUrl,
        requireTLS: mail.requireTls,
        tls: {
          rejectUnauthorized: mail.tlsRejectUnauthorized,
          minVersion: 'TLSv1.2',
          ...(mail.tlsCaFile ? { ca: readFileSync(mail.tlsCaFile, 'utf8') } : {}),
        },
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
        disableFileAccess: true,
        disableUrlAccess: true,
      });
      this.#outbox = null;
    } else {
      this.#smtp = null;
      this.#outbox = createTransport({ streamTransport: true, buffer: false, newline: 'windows', disableFileAccess: true, disableUrlAccess: true });
    }
  }

  get channel(): 'smtp' | 'outbox' {
    return this.#smtp ? 'smtp' : 'outbox';
  }

  async send(message: MailMessage): Promise<MailReceipt> {
    const mail = { ...message, messageId: message.messageId, disableFileAccess: true, disableUrlAccess: true };
    if (this.#smtp) {
      try {
        const info = (await this.#smtp.sendMail(mail)) as { response?: string };
        return { channel: 'smtp', detail: String(info.response ?? 'accepted').slice(0, 500) };
      } catch (err) {
        const e = err as { responseCode?: number; response?: string; message?: string; code?: string; command?: string };
        // What the server said, and to which command (a bare "500 command not recognized" says little).
        const said = e.response ?? `${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`;
        const reason = `${e.command && e.response ? `${e.command}: ` : ''}${said}`.replace(/\s+/g, ' ').slice(0, 500);
        // Final only when the server refused this message or its recipient (5xx to MAIL, RCPT or DATA).
        // A refused connection, TLS or sign-in is the server's set-up: retried, so nothing is lost
        // once it is fixed.
        const refusedMessage = e.code === 'EENVELOPE' || e.code === 'EMESSAGE';
        if (refusedMessage && typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600) {
          throw new PermanentMailError(reason, { cause: err });
        }
        throw new Error(reason, { cause: err });
      }
    }
    const info = (await this.#outbox!.sendMail(mail)) as { message: Readable };
    mkdirSync(this.outboxDir, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = join(this.outboxDir, `${stamp}-${randomUUID().slice(0, 8)}.eml`);
    const temp = `${file}.tmp`;
    try {
      await pipeline(info.message, createWriteStream(temp, { mode: 0o600 }));
      renameSync(temp, file);
    } catch (err) {
      rmSync(temp, { force: true });
      throw err;
    }
    this.#logger.log({ msg: 'mail written to the outbox (no SMTP server configured)', to: message.to, subject: message.subject, file });
    return { channel: 'outbox', detail: file };
  }

  onApplicationShutdown(): void {
    this.#smtp?.close();
  }
}
