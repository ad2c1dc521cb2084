import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where the administration commands find the database, as `DATABASE_URL` and `DATA_DIR` say. */
export interface DatabaseLocation {
  readonly url: string | null;
  readonly dataDir: string;
}

/** The folder of the embedded database inside a data directory. */
export const embeddedDatabaseDir = (dataDir: string): string => join(dataDir, 'db');

/** Whether an embedded database was ever created in `dataDir` (PostgreSQL writes PG_VERSION first). */
export const embeddedDatabaseExists = (dataDir: string): boolean => existsSync(join(embeddedDatabaseDir(dataDir), 'PG_VERSION'));

/** "host:port/database (user u)" of a PostgreSQL URL, never its password or options. */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || (u.searchParams.get('host') ?? 'localhost');
    const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default database)';
    const user = u.username ? ` as ${decodeURIComponent(u.username)}` : '';
    return `${host}:${u.port || '5432'}/${db}${user}`;
  } catch {
    return 'the server in DATABASE_URL (not shown: it does not parse as a URL)';
  }
}

/**
 * The lines the CLI writes to stderr about the database a command used, so that a token or a
 * password made in another database than the running gateway's is never a silent surprise.
 * `created`: the command found no embedded database in the data directory and made a new one.
 */
export function databaseNotice(where: DatabaseLocation, how: { readonly created?: boolean; readonly viaGateway?: boolean } = {}): string[] {
  if (where.url) {
    return [`Using PostgreSQL at ${describePostgresUrl(where.url)} (DATABASE_URL).`];
  }
  const dir = embeddedDatabaseDir(where.dataDir);
  if (how.viaGateway) {
    return [`Using the embedded database in ${dir}, through the gateway that is running on it (DATA_DIR=${where.dataDir}).`];
  }
  const lines = [`Using the embedded database in ${dir} (DATA_DIR=${where.dataDir}).`];
  if (how.created) {
    lines.push(
      `WARNING: there was no database in ${where.dataDir}, so this command created a new, empty one there.`,
      'WARNING: a gateway started with another DATA_DIR (or with DATABASE_URL) does not see what this command did: its tokens, users and passwords exist only here.',
      "WARNING: if that is not what you meant, run the command again with the gateway's DATA_DIR (or DATABASE_URL) and delete this folder.",
    );
  }
  return lines;
}
