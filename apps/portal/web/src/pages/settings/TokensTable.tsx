import { useId } from 'react';
import type { ApiToken } from '../../api/tokens.ts';
import { When } from '../../ui/format.tsx';

/** Your live tokens (revoked ones are history, in the audit log), newest first. */
export function TokensTable({ tokens, onRevoke }: { tokens: readonly ApiToken[]; onRevoke: (token: ApiToken) => void }) {
  const id = useId();
  const now = Date.now();
  return (
    <table aria-label="API tokens" className="stack" role="table">
      <thead role="rowgroup">
        <tr role="row">
          <th scope="col" role="columnheader">Name</th>
          <th scope="col" role="columnheader">Scopes</th>
          <th scope="col" role="columnheader">Created</th>
          <th scope="col" role="columnheader">Expires</th>
          <th scope="col" role="columnheader">Last used</th>
          <th scope="col" role="columnheader">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody role="rowgroup">
        {tokens.length === 0 ? (
          <tr role="row">
            <td role="cell" colSpan={6}>No API tokens yet.</td>
          </tr>
        ) : (
          tokens.map((t, i) => {
            const expired = t.expiresAt !== null && new Date(t.expiresAt).getTime() <= now;
            return (
              <tr role="row" key={t.id}>
                <td role="cell" data-label="Name" id={`${id}-name-${String(i)}`} className="name">
                  {t.name}
                </td>
                <td role="cell" data-label="Scopes">{t.scopes.join(', ')}</td>
                <td role="cell" data-label="Created">
                  <When iso={t.createdAt} />
                </td>
                <td role="cell" data-label="Expires">
                  {expired ? 'Expired ' : null}
                  <When iso={t.expiresAt} never="Never" />
                </td>
                <td role="cell" data-label="Last used">
                  <When iso={t.lastUsedAt} never="Not used yet" />
                </td>
                <td role="cell" className="row-actions">
                  <button type="button" className="secondary" onClick={() => onRevoke(t)} aria-describedby={`${id}-name-${String(i)}`}>
                    Revoke
                  </button>
                </td>
              </tr>
            );
          })
        )}
      </tbody>
    </table>
  );
}
