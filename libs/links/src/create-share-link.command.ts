import { z } from 'zod';
import { assertAllowedText, InvalidInputError, text } from '@mft/core';
import { StoragePath, StoragePathError } from '@mft/storage';
import { createSendLinkSchema } from './create-send-link.command.js';

const email = z.email({ message: 'is not a valid email address' }).max(320);

/**
 * The options of a new share link (a JSON body): what to share, and the same options as a send
 * link. `recipients` may be an array of addresses or one comma-separated string.
 */
export const createShareLinkSchema = createSendLinkSchema
  .omit({ kind: true, recipients: true })
  .extend({
    kind: z.literal('share', { message: 'must be "share"' }),
    connectionId: text().min(1, 'must name a storage connection').max(200),
    /** The file or folder to share, from the connection's root: `/docs/report.pdf`. */
    path: text().max(8192),
    /** Refuse a file that changed since it was shared (default on for files; folders are never pinned). */
    pinContent: z.boolean({ message: 'must be true or false' }).optional(),
    recipients: z
      .union([z.array(text().max(320)).max(100, 'at most 100 recipients per link'), text().max(20000)])
      .optional()
      .transform((v) =>
        (Array.isArray(v) ? v : (v ?? '').split(/[,;\s]+/))
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(email).max(100, 'at most 100 recipients per link')),
  })
  .strict();

export type CreateShareLinkInput = z.input<typeof createShareLinkSchema>;
export type CreateShareLinkCommand = z.output<typeof createShareLinkSchema> & { readonly sharePath: StoragePath };

/** Validates a JSON body into a command, or throws an InvalidInputError that names each bad field (the path included). */
export function parseCreateShareLink(body: unknown): CreateShareLinkCommand {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidInputError('invalid_link_options', 'The body must be a JSON object: { "kind": "share", "connectionId", "path", ... }.');
  }
  assertAllowedText(body);
  const result = createShareLinkSchema.safeParse(body);
  if (!result.success) {
    const problems = result.error.issues.map((i) => ({
      field: i.path.join('.') || (i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys?.join(', ') : '') || '(body)',
      message: i.message,
    }));
    throw new InvalidInputError('invalid_link_options', `The link options are not valid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`, {
      problems,
    });
  }
  let sharePath: StoragePath;
  try {
    sharePath = StoragePath.parse(result.data.path);
  } catch (err) {
    if (err instanceof StoragePathError) {
      throw new InvalidInputError(
        'invalid_link_options',
        'The link options are not valid: path must be a path inside the connection, such as /docs/report.pdf (plain names separated by "/", no "..", backslashes or control characters).',
        { problems: [{ field: 'path', message: 'is not a valid path', reason: err.reason }] },
      );
    }
    throw err;
  }
  return { ...result.data, sharePath };
}
