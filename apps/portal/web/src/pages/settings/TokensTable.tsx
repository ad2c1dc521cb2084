import type { ApiToken } from '../../api/tokens.ts';
import { DataTable, type Column } from '../../ui/DataTable.tsx';
import { When } from '../../ui/format.tsx';

/** What a tokens table shows of each token (name, scopes, dates), mine or, for admins, anyone's. */
export function tokenColumns<T extends ApiToken>(now: number): Array<Column<T>> {
  return [
    { header: 'Name', cell: (t) => t.name },
    { header: 'Scopes', cell: (t) => t.scopes.join(', ') },
    { header: 'Created', cell: (t) => <When iso={t.createdAt} /> },
    {
      header: 'Expires',
      cell: (t) => (
        <>
          {t.expiresAt !== null && new Date(t.expiresAt).getTime() <= now ? 'Expired ' : null}
          <When iso={t.expiresAt} never="Never" />
        </>
      ),
    },
    { header: 'Last used', cell: (t) => <When iso={t.lastUsedAt} never="Not used yet" /> },
  ];
}

/** Your live tokens (revoked ones are history, in the audit log), newest first. */
export function TokensTable({ tokens, onRevoke }: { tokens: readonly ApiToken[]; onRevoke: (token: ApiToken) => void }) {
  return (
    <DataTable
      label="API tokens"
      rows={tokens}
      rowKey={(t) => t.id}
      empty="No API tokens yet."
      columns={tokenColumns<ApiToken>(Date.now())}
      actions={(t, describedBy) => (
        <button type="button" className="secondary" onClick={() => onRevoke(t)} aria-describedby={describedBy}>
          Revoke
        </button>
      )}
    />
  );
}
