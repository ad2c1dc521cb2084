import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from './gateway-process.js';

export interface SinkOptions {
  /** Refuse these recipients for good (550), as a server does for a mailbox that does not exist. */
  readonly rejectRecipients?: RegExp;
  /** Offer STARTTLS with this key and certificate (PEM); without it the sink speaks plain SMTP only. */
  readonly tls?: { readonly key: string; readonly cert: string };
}

/** One message the sink accepted, parsed. */
export interface CapturedMail {
  /** Whether the message arrived over TLS (STARTTLS). */
  readonly encrypted: boolean;
  readonly to: string[];
  readonly from: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly messageId: string;
  readonly raw: ParsedMail;
}

/**
 * A real SMTP server on loopback for tests (smtp-server + mailparser). It can be stopped and
 * started again on the same port, to play a mail server that is down for a while.
 */
export class SmtpSink {
  readonly messages: CapturedMail[] = [];
  /** Recipients refused with 550. */
  rejected = 0;
  #server: SMTPServer | null = null;
  #waiters: Array<() => void> = [];

  private constructor(
    readonly port: number,
    private readonly options: SinkOptions,
  ) {}

  /** Starts a sink on a free port. */
  static async start(options: SinkOptions = {}): Promise<SmtpSink> {
    const sink = new SmtpSink(await freePort(), options);
    await sink.listen();
    return sink;
  }

  /** Reserves a port with nothing listening on it yet: a mail server that is down. */
  static async down(options: SinkOptions = {}): Promise<SmtpSink> {
    return new SmtpSink(await freePort(), options);
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: this.options.tls ? ['AUTH'] : ['STARTTLS', 'AUTH'],
      ...(this.options.tls ? { key: this.options.tls.key, cert: this.options.tls.cert } : {}),
      logger: false,
      onRcptTo: (address, _session, callback) => {
        if (this.options.rejectRecipients?.test(address.address)) {
          this.rejected++;
          const err = Object.assign(new Error('5.1.1 Mailbox does not exist'), { responseCode: 550 });
          callback(err);
          return;
        }
        callback();
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.messages.push({
              encrypted: Boolean(session.secure),
              to: (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((a) => a.value.map((v) => v.address ?? '')),
              from: mail.from?.text ?? '',
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : '',
              messageId: mail.messageId ?? '',
              raw: mail,
            });
            this.#waiters.splice(0).forEach((w) => w());
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Messages to `address`. */
  to(address: string): CapturedMail[] {
    return this.messages.filter((m) => m.to.some((t) => t.toLowerCase() === address.toLowerCase()));
  }

  /** Waits until `predicate` holds for the captured messages (or fails after `timeoutMs`). */
  async waitFor(predicate: (messages: readonly CapturedMail[]) => boolean, timeoutMs = 15_000, what = 'the expected email'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out waiting for ${what}; captured: ${JSON.stringify(this.messages.map((m) => ({ to: m.to, subject: m.subject })))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until at least `count` messages to `address` match `subject`; returns the latest of them. */
  async latest(address: string, subject: RegExp, count = 1, timeoutMs = 15_000): Promise<CapturedMail> {
    const matching = (): CapturedMail[] => this.to(address).filter((m) => subject.test(m.subject));
    await this.waitFor(() => matching().length >= count, timeoutMs, `${count} email(s) to ${address} matching ${subject}`);
    return matching().at(-1)!;
  }
}

/** A throwaway certificate for 127.0.0.1, made with openssl, for a sink that offers STARTTLS. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mft-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
