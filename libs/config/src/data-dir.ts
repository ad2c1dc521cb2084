import { chmodSync, existsSync, lstatSync, mkdirSync, opendirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Written once every entry of the data directory has been made private; its absence means "walk again". */
const MARKER = '.private';

/** What `prepareDataDir` changed: the entries that other accounts could read or write before. */
export interface DataDirReport {
  readonly dir: string;
  readonly tightened: number;
  readonly examples: readonly string[];
}

/**
 * Makes the data directory private to the service account before anything opens it: everything
 * this process creates from now on is 0700/0600 (umask 077), and a directory left by an older
 * version (0755 folders, 0666 database files) is tightened entry by entry. The walk runs until a
 * marker file says it once finished, so a walk cut short by a crash is completed at the next start;
 * the folder itself is tightened last for the same reason. Symbolic links are never followed.
 */
export function prepareDataDir(dir: string): DataDirReport {
  process.umask(0o077);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const examples: string[] = [];
  let tightened = 0;
  const tighten = (path: string, mode: number): void => {
    if ((mode & 0o077) !== 0) {
      chmodSync(path, mode & 0o700);
      tightened += 1;
      if (examples.length < 5) {
        examples.push(path);
      }
    }
  };
  const rootMode = lstatSync(dir).mode;
  if ((rootMode & 0o077) !== 0 || !existsSync(join(dir, MARKER))) {
    const walk = (folder: string): void => {
      const handle = opendirSync(folder);
      try {
        for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) {
          const path = join(folder, entry.name);
          if (entry.isSymbolicLink()) {
            continue;
          }
          const stat = lstatSync(path);
          if (entry.isDirectory()) {
            walk(path);
          }
          tighten(path, stat.mode & 0o7777);
        }
      } finally {
        handle.closeSync();
      }
    };
    walk(dir);
    writeFileSync(join(dir, MARKER), 'Every entry of this folder was made private to the service account.\n', { mode: 0o600 });
  }
  tighten(dir, rootMode & 0o7777);
  return { dir, tightened, examples };
}
