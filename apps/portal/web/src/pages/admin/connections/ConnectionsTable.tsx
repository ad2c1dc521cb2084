import type { Connection, ShareRoot } from '../../../api/connections.ts';
import { DataTable } from '../../../ui/DataTable.tsx';
import { formatDate } from '../../../ui/format.tsx';
import { KIND_LABELS } from './fields.ts';

/** Where a connection points, in a few words: its folder, bucket and prefix, or server. */
export function locationOf(c: Connection): string {
  const s = c.settings;
  const str = (k: string): string => (typeof s[k] === 'string' ? (s[k] as string) : '');
  switch (c.kind) {
    case 'local':
      return c.builtin ? 'The gateway’s data directory' : str('root');
    case 's3':
      return [str('bucket'), str('prefix')].filter(Boolean).join('/') + (str('endpoint') ? ` at ${str('endpoint')}` : '');
    case 'sftp':
      return `${str('username')}@${str('host')}:${String(s.port ?? 22)}${str('root') && str('root') !== '/' ? ` ${str('root')}` : ''}`;
  }
}

const ROLE_NAMES: Record<string, string> = { admin: 'admins', manager: 'managers', employee: 'employees', auditor: 'auditors', external: 'external users' };

export function whoOf(root: ShareRoot): string {
  const who = [...root.roles.map((r) => ROLE_NAMES[r] ?? r), ...root.groups.map((g) => `group ${g}`)];
  return `${root.path}: ${who.length > 0 ? who.join(', ') : 'nobody but admins'}${root.write ? ' (may change files over SFTP)' : ''}`;
}

/** The connections with kind, status, share roots and which one holds send copies; Test, Edit and Delete per row. */
export function ConnectionsTable({
  connections,
  sendStorageId,
  busy,
  onTest,
  onEdit,
  onDelete,
}: {
  connections: readonly Connection[];
  sendStorageId: string | null;
  busy: string | null;
  onTest: (c: Connection) => void;
  onEdit: (c: Connection) => void;
  onDelete: (c: Connection) => void;
}) {
  return (
    <DataTable
      label="Storage connections"
      rows={connections}
      rowKey={(c) => c.id}
      empty="No storage connections yet."
      columns={[
        { header: 'Name', cell: (c) => c.name },
        {
          header: 'Kind',
          className: 'where',
          cell: (c) => (
            <>
              {KIND_LABELS[c.kind]}
              <span className="meta sub mono">{locationOf(c)}</span>
            </>
          ),
        },
        {
          header: 'Status',
          className: 'status',
          cell: (c) => (
            <>
              <span className={c.status === 'ok' ? 'status-ok' : 'status-failing'}>{c.status === 'ok' ? 'Working' : 'Failing'}</span>
              {c.status !== 'ok' && c.statusMessage ? <span className="meta sub">{c.statusMessage}</span> : null}
              {c.checkedAt ? <span className="meta sub">Checked {formatDate(c.checkedAt)}</span> : null}
            </>
          ),
        },
        {
          header: 'Share roots',
          className: 'roots',
          cell: (c) =>
            (c.settings.shareRoots ?? []).length === 0 ? (
              'None (admins only)'
            ) : (
              <ul className="plain">
                {(c.settings.shareRoots ?? []).map((r, i) => (
                  <li key={`${r.path}-${String(i)}`}>{whoOf(r)}</li>
                ))}
              </ul>
            ),
        },
        { header: 'Send storage', cell: (c) => (c.id === sendStorageId ? 'Yes' : 'No') },
      ]}
      actions={(c, describedBy) => (
        <>
          <button type="button" className="secondary" aria-describedby={describedBy} disabled={busy === c.id} onClick={() => onTest(c)}>
            {busy === c.id ? 'Testing…' : 'Test'}
          </button>
          <button type="button" className="secondary" aria-describedby={describedBy} onClick={() => onEdit(c)}>
            Edit
          </button>
          <button type="button" className="danger-text" aria-describedby={describedBy} onClick={() => onDelete(c)}>
            Delete
          </button>
        </>
      )}
    />
  );
}
