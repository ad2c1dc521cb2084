import { useRef, useState } from 'react';
import { sftpApi, type SshKey } from '../../api/sftp.ts';
import { ConfirmDialog } from '../../ui/ConfirmDialog.tsx';
import { Refusal } from '../../ui/Refusal.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { SshKeyForm } from './SshKeyForm.tsx';
import { SshKeysTable } from './SshKeysTable.tsx';

/** SSH keys for SFTP sign-in: added by pasting the public key, listed with fingerprints, revoked after a confirmation. */
export function SshKeysSection({ username }: { username: string }) {
  const keys = useLoad(() => sftpApi.keys(), 'ssh-keys');
  const [revoking, setRevoking] = useState<SshKey | null>(null);
  const [said, setSaid] = useState<string>('');
  const listHeading = useRef<HTMLHeadingElement>(null);
  return (
    <section aria-labelledby="ssh-keys-title">
      <h2 id="ssh-keys-title">SSH keys</h2>
      <p>
        A key lets you, or a script, sign in to the gateway's SFTP door as <strong>{username}</strong> and send files by dropping them into folders. Add the
        public key of each computer you use; revoke a key when the computer is gone.
      </p>
      <SshKeyForm
        onAdded={(k) => {
          setSaid(`The key “${k.name}” is added (${k.fingerprint}).`);
          keys.reload();
        }}
      />
      <h3 ref={listHeading} tabIndex={-1}>
        Your SSH keys
      </h3>
      <p className="meta" role="status">
        {said}
      </p>
      {keys.error ? <Refusal error={keys.error} /> : null}
      {keys.data === null && !keys.error ? <p aria-live="polite">Loading…</p> : null}
      {keys.data !== null ? (
        <div className="table-wrap">
          <SshKeysTable keys={keys.data} onRevoke={setRevoking} />
        </div>
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke the SSH key “${revoking.name}”?`}
          action="Revoke"
          onConfirm={() => sftpApi.revokeKey(revoking.id)}
          onClose={() => setRevoking(null)}
          onDone={() => {
            setSaid(`The key “${revoking.name}” is revoked.`);
            keys.reload();
            listHeading.current?.focus();
          }}
        >
          <p>
            SFTP sign-ins with the key <code>{revoking.fingerprint}</code> are refused from now on. This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
