import { InvalidInputError } from '@mft/core';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../storage-driver.js';
import { StoragePath } from '../storage-path.js';

/** The page size a listing asked for, checked: 1 to `MAX_LIST_LIMIT`, `DEFAULT_LIST_LIMIT` when absent. */
export function listLimit(limit: number | undefined): number {
  if (limit === undefined) {
    return DEFAULT_LIST_LIMIT;
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new InvalidInputError('storage_list_limit_invalid', `A page holds 1 to ${MAX_LIST_LIMIT} entries.`);
  }
  return limit;
}

/** The cursor of a listing that continues after the entry `name` (drivers that sort names themselves). */
export function encodeNameCursor(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}

/** The entry name a cursor of `encodeNameCursor` continues after; a cursor it did not make is bad input. */
export function decodeNameCursor(cursor: string): string {
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  if (encodeNameCursor(name) !== cursor || !StoragePath.isValidName(name)) {
    throw new InvalidInputError('storage_cursor_invalid', 'This listing cursor is not valid; start again from the first page.');
  }
  return name;
}
