import { useId } from 'react';
import type { SshKey } from '../../api/sftp.ts';
import { When } from '../../ui/format.tsx';

const TYPES: Record<string, string> = {
  'ssh-ed25519': 'Ed25519',
  'ecdsa-sha2-nistp256': 'ECDSA P-256',
  'ecdsa-sha2-nistp384': 'ECDSA P-384',
  'ecdsa-sha2-nistp521': 'ECDSA P-521',
  'ssh-rsa': 'RSA',
};

/** Your live SSH keys, newest first, with the fingerprint `ssh-keygen -l` prints for each. */
export function SshKeysTable({ keys, onRevoke }: { keys: readonly SshKey[]; onRevoke: (key: SshKey) => void }) {
  const id = useId();
  return (
    <table aria-label="SSH keys" className="stack" role="table">
      <thead role="rowgroup">
        <tr role="row">
          <th scope="col" role="columnheader">Name</th>
          <th scope="col" role="columnheader">Type</th>
          <th scope="col" role="columnheader">Fingerprint</th>
          <th scope="col" role="columnheader">Added</th>
          <th scope="col" role="columnheader">Last used</th>
          <th scope="col" role="columnheader">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody role="rowgroup">
        {keys.length === 0 ? (
          <tr role="row">
            <td role="cell" colSpan={6}>No SSH keys yet.</td>
          </tr>
        ) : (
          keys.map((k, i) => (
            <tr role="row" key={k.id}>
              <td role="cell" data-label="Name" id={`${id}-name-${String(i)}`} className="name">
                {k.name}
              </td>
              <td role="cell" data-label="Type" className="key-type">
                {TYPES[k.algorithm] ?? k.algorithm}
              </td>
              <td role="cell" data-label="Fingerprint" className="fingerprint">
                <code>{k.fingerprint}</code>
              </td>
              <td role="cell" data-label="Added">
                <When iso={k.createdAt} />
              </td>
              <td role="cell" data-label="Last used">
                <When iso={k.lastUsedAt} never="Not used yet" />
              </td>
              <td role="cell" className="row-actions">
                <button type="button" className="secondary" onClick={() => onRevoke(k)} aria-describedby={`${id}-name-${String(i)}`}>
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
