import { StoragePath } from '../storage-path.js';
import type { SharingUser, StorageConnectionSummary } from '../storage.service.js';
import type { ConnectionKind } from './connection-settings.js';

/** Where someone may share from: one connection and the folders of it they may share (outermost only). */
export interface ShareSource {
  readonly connectionId: string;
  readonly name: string;
  readonly kind: ConnectionKind;
  /** Folders from the connection's root, such as `/docs`; `/` for all of it. */
  readonly roots: readonly string[];
}

/**
 * The connections `who` may share from, each with the folders they may share: admins every
 * connection from `/`; others the share roots that name one of their roles or groups, with a root
 * inside another of theirs left out (the outer one covers it). `hidden` drops folders nobody may
 * share, whatever the roots say (the send copies); a connection left with no root is left out.
 */
export function shareSources(connections: readonly StorageConnectionSummary[], who: SharingUser, hidden: (connectionId: string, folder: StoragePath) => boolean): ShareSource[] {
  const out: ShareSource[] = [];
  for (const c of connections) {
    const granted = who.admin
      ? [StoragePath.root]
      : c.shareRoots.filter((r) => r.roles.some((role) => who.roles.includes(role)) || r.groups.some((g) => who.groups.includes(g))).flatMap((r) => parsedOrNone(r.path));
    const visible = granted.filter((p) => !hidden(c.id, p));
    const outermost = visible.filter((p, i) => !visible.some((q, j) => j !== i && p.isWithin(q) && (!q.equals(p) || j < i)));
    if (outermost.length > 0) {
      out.push({ connectionId: c.id, name: c.name, kind: c.kind, roots: outermost.map((p) => p.toString()).sort() });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** A stored root is validated at creation; one that no longer parses grants nothing. */
function parsedOrNone(path: string): StoragePath[] {
  try {
    return [StoragePath.parse(path)];
  } catch {
    return [];
  }
}
