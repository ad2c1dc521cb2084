import type { AppPassword } from '../../api/sftp.ts';
import { DataTable } from '../../ui/DataTable.tsx';
import { When } from '../../ui/format.tsx';

/** Your live app passwords, newest first (never the passwords). */
export function AppPasswordsTable({ passwords, onRevoke }: { passwords: readonly AppPassword[]; onRevoke: (p: AppPassword) => void }) {
  return (
    <DataTable
      label="App passwords"
      rows={passwords}
      rowKey={(p) => p.id}
      empty="No app passwords yet."
      columns={[
        { header: 'Name', cell: (p) => p.name },
        { header: 'Created', cell: (p) => <When iso={p.createdAt} /> },
        { header: 'Last used', cell: (p) => <When iso={p.lastUsedAt} never="Not used yet" /> },
      ]}
      actions={(p, describedBy) => (
        <button type="button" className="secondary" onClick={() => onRevoke(p)} aria-describedby={describedBy}>
          Revoke
        </button>
      )}
    />
  );
}
