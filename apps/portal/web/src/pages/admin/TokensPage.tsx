import { useRef, useState } from 'react';
import { tokensApi, type OwnedToken } from '../../api/tokens.ts';
import { ConfirmDialog } from '../../ui/ConfirmDialog.tsx';
import { DataTable } from '../../ui/DataTable.tsx';
import { Refusal } from '../../ui/Refusal.tsx';
import { usePageTitle } from '../../ui/usePageTitle.ts';
import { tokenColumns } from '../settings/TokensTable.tsx';
import { usePages } from './users/usePages.ts';
import './users/users.css';

const ownerName = (t: OwnedToken): string => t.owner.displayName ?? t.owner.user;

/** Administration: every user's live API tokens, with revoke (admins only). */
export function TokensPage() {
  usePageTitle('API tokens');
  const list = usePages(async (cursor) => {
    const page = await tokensApi.listAll(cursor);
    return { items: page.tokens, next: page.next };
  }, 'all-tokens');
  const [revoking, setRevoking] = useState<OwnedToken | null>(null);
  const [status, setStatus] = useState('');
  const statusRef = useRef<HTMLParagraphElement>(null);
  const now = Date.now();
  return (
    <>
      <h1>API tokens of all users</h1>
      <p className="meta">Every token that still works (neither revoked nor expired), newest first. Disabling a user on the Users page revokes all of theirs at once.</p>
      <p className="meta users-status" role="status" tabIndex={-1} ref={statusRef}>
        {status}
      </p>
      {list.error ? <Refusal error={list.error} /> : null}
      {list.items === null && !list.error ? <p aria-live="polite">Loading…</p> : null}
      {list.items !== null ? (
        <>
          <DataTable
            label="API tokens"
            rows={list.items}
            rowKey={(t) => t.id}
            empty="No live API tokens."
            columns={[
              {
                header: 'Owner',
                cell: (t) => (
                  <>
                    {ownerName(t)}
                    {t.owner.displayName ? <span className="meta sub">{t.owner.user}</span> : null}
                  </>
                ),
              },
              ...tokenColumns<OwnedToken>(now),
            ]}
            actions={(t, describedBy) => (
              <button type="button" className="secondary" onClick={() => setRevoking(t)} aria-describedby={describedBy}>
                Revoke
              </button>
            )}
          />
          {list.next ? (
            <button type="button" className="secondary more" onClick={list.more} disabled={list.loading}>
              More
            </button>
          ) : null}
        </>
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke the token “${revoking.name}” of ${ownerName(revoking)}?`}
          action="Revoke"
          onConfirm={async () => {
            await tokensApi.revoke(revoking.id);
            list.update((items) => items.filter((t) => t.id !== revoking.id));
            setStatus(`The token “${revoking.name}” of ${revoking.owner.user} is revoked.`);
          }}
          onClose={() => setRevoking(null)}
          onDone={() => statusRef.current?.focus()}
        >
          <p>Scripts that use it are refused from now on. This cannot be undone; {revoking.owner.user} can make a new token in their settings.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
