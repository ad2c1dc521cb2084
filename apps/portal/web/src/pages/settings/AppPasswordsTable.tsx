import { useId } from 'react';
import type { AppPassword } from '../../api/sftp.ts';
import { When } from '../../ui/format.tsx';

/** Your live app passwords, newest first (never the passwords). */
export function AppPasswordsTable({ passwords, onRevoke }: { passwords: readonly AppPassword[]; onRevoke: (p: AppPassword) => void }) {
  const id = useId();
  return (
    <table aria-label="App passwords" className="stack" role="table">
      <thead role="rowgroup">
        <tr role="row">
          <th scope="col" role="columnheader">Name</th>
          <th scope="col" role="columnheader">Created</th>
          <th scope="col" role="columnheader">Last used</th>
          <th scope="col" role="columnheader">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody role="rowgroup">
        {passwords.length === 0 ? (
          <tr role="row">
            <td role="cell" colSpan={4}>No app passwords yet.</td>
          </tr>
        ) : (
          passwords.map((p, i) => (
            <tr role="row" key={p.id}>
              <td role="cell" data-label="Name" id={`${id}-name-${String(i)}`} className="name">
                {p.name}
              </td>
              <td role="cell" data-label="Created">
                <When iso={p.createdAt} />
              </td>
              <td role="cell" data-label="Last used">
                <When iso={p.lastUsedAt} never="Not used yet" />
              </td>
              <td role="cell" className="row-actions">
                <button type="button" className="secondary" onClick={() => onRevoke(p)} aria-describedby={`${id}-name-${String(i)}`}>
                  Revoke
                </button>
              </td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
