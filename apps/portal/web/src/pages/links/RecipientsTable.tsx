import type { LinkGrant } from '../../api/links.ts';
import { When } from '../../ui/format.tsx';
import { deliveryLabel, grantStatusLabel } from './labels.ts';

/** One row per recipient grant: who, how far they got, when they downloaded, and what can still be done. */
export function RecipientsTable({ grants, busy, onRevoke, onResend }: { grants: readonly LinkGrant[]; busy: string | null; onRevoke: (g: LinkGrant) => void; onResend: (g: LinkGrant) => void }) {
  return (
    <div className="table-wrap">
      <table aria-label="Recipients" className="recipients">
        <thead>
          <tr>
            <th scope="col">Recipient</th>
            <th scope="col">Status</th>
            <th scope="col">Downloaded</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {grants.map((g) => (
            <tr key={g.id}>
              <td className="who">
                {g.recipient ?? 'Anyone with the link'}
                <span className="meta sub">{deliveryLabel(g.delivery)}</span>
              </td>
              <td>{grantStatusLabel(g)}</td>
              <td className="when">
                <When iso={g.downloadedAt} never="Not yet" />
              </td>
              <td className="row-actions">
                {g.canResend ? (
                  <button type="button" className="secondary" disabled={busy === g.id} onClick={() => onResend(g)}>
                    Resend
                  </button>
                ) : null}
                {g.canRevoke ? (
                  <button type="button" className="secondary danger-text" onClick={() => onRevoke(g)}>
                    Revoke
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
