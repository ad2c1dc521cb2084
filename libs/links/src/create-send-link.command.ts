import { z } from 'zod';
import { assertAllowedText, InvalidInputError, text } from '@mft/core';

const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'on', 'off', 'yes', 'no', ''])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'on' || v === 'yes');

/** One recipient address, as every link (and drop folder) takes it. */
export const recipientEmail = z.email({ message: 'is not a valid email address' }).max(320);
const email = recipientEmail;

const EXPIRES_AT_MESSAGE = 'must be an ISO 8601 date-time with a time zone, e.g. 2030-01-31T17:00:00Z, or "never"';

/** The options of a new send link, as they arrive from any edge (form fields are strings). */
export const createSendLinkSchema = z
  .object({
    kind: z.literal('send', { message: 'must be "send" for a multipart upload' }).default('send'),
    recipients: text()
      .max(20000)
      .optional()
      .transform((v) =>
        (v ?? '')
          .split(/[,;\s]+/)
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(email).max(100, 'at most 100 recipients per link')),
    oneTime: bool.optional(),
    /** A number of completed downloads, or "unlimited". */
    maxDownloads: z
      .union([z.literal('unlimited').transform(() => null), z.coerce.number({ message: 'must be a whole number from 1, or "unlimited"' }).int().min(1).max(1_000_000)])
      .optional(),
    /** An instant, or "never" (where the policy allows links that never expire). */
    expiresAt: z
      .union(
        [
          z.literal('never'),
          z.iso
            .datetime({ offset: true, message: EXPIRES_AT_MESSAGE })
            .transform((s) => new Date(s)),
        ],
        { message: EXPIRES_AT_MESSAGE },
      )
      .optional(),
    password: text().max(1024, 'must be at most 1024 characters').optional(),
    requireEmailVerification: bool.optional(),
    message: text().max(4000).optional(),
    /** Email each recipient their link (default on). */
    notify: bool.optional(),
    /** Email the sender on each completed download and when the link expires unused (default on). */
    notifyOnDownload: bool.optional(),
  })
  .strict();

export type CreateSendLinkInput = z.input<typeof createSendLinkSchema>;
export type CreateSendLinkCommand = z.output<typeof createSendLinkSchema>;

/** Validates raw fields into a command, or throws an InvalidInputError that names each bad field. */
export function parseCreateSendLink(fields: Record<string, unknown>): CreateSendLinkCommand {
  // The multipart body is streamed past the global validation, so the shared text rule runs here.
  assertAllowedText(fields);
  const result = createSendLinkSchema.safeParse(fields);
  if (!result.success) {
    const problems = result.error.issues.map((i) => ({
      field: i.path.join('.') || (i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys?.join(', ') : '') || '(body)',
      message: i.message,
    }));
    throw new InvalidInputError(
      'invalid_link_options',
      `The link options are not valid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`,
      { problems },
    );
  }
  return result.data;
}
