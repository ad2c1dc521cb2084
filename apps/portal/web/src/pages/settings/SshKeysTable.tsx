import type { SshKey } from '../../api/sftp.ts';
import { DataTable } from '../../ui/DataTable.tsx';
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
  return (
    <DataTable
      label="SSH keys"
      rows={keys}
      rowKey={(k) => k.id}
      empty="No SSH keys yet."
      columns={[
        { header: 'Name', cell: (k) => k.name },
        { header: 'Type', cell: (k) => TYPES[k.algorithm] ?? k.algorithm, className: 'key-type' },
        { header: 'Fingerprint', cell: (k) => <code>{k.fingerprint}</code>, className: 'fingerprint' },
        { header: 'Added', cell: (k) => <When iso={k.createdAt} /> },
        { header: 'Last used', cell: (k) => <When iso={k.lastUsedAt} never="Not used yet" /> },
      ]}
      actions={(k, describedBy) => (
        <button type="button" className="secondary" onClick={() => onRevoke(k)} aria-describedby={describedBy}>
          Revoke
        </button>
      )}
    />
  );
}
