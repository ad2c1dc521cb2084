import { useRef, useState } from 'react';
import { sftpApi, type AppPassword, type CreatedAppPassword } from '../../api/sftp.ts';
import { ConfirmDialog } from '../../ui/ConfirmDialog.tsx';
import { Refusal } from '../../ui/Refusal.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { AppPasswordForm } from './AppPasswordForm.tsx';
import { AppPasswordsTable } from './AppPasswordsTable.tsx';
import { NewAppPasswordBox } from './NewAppPasswordBox.tsx';

/** App passwords for SFTP clients that cannot use a key: created with a name, shown once, listed, revoked. */
export function AppPasswordsSection({ username }: { username: string }) {
  const passwords = useLoad(() => sftpApi.appPasswords(), 'app-passwords');
  const [created, setCreated] = useState<CreatedAppPassword | null>(null);
  const [revoking, setRevoking] = useState<AppPassword | null>(null);
  const [revoked, setRevoked] = useState<string | null>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);
  return (
    <section aria-labelledby="app-passwords-title">
      <h2 id="app-passwords-title">App passwords</h2>
      <p>
        For SFTP programs that cannot use a key. Each program gets its own password, made by the gateway and shown once; your own password is never used for
        SFTP.
      </p>
      {created ? <NewAppPasswordBox created={created} username={username} onDone={() => setCreated(null)} /> : null}
      <AppPasswordForm
        onCreated={(p) => {
          setRevoked(null);
          setCreated(p);
          passwords.reload();
        }}
      />
      <h3 ref={listHeading} tabIndex={-1}>
        Your app passwords
      </h3>
      <p className="meta" role="status">
        {revoked ? `The app password “${revoked}” is revoked.` : ''}
      </p>
      {passwords.error ? <Refusal error={passwords.error} /> : null}
      {passwords.data === null && !passwords.error ? <p aria-live="polite">Loading…</p> : null}
      {passwords.data !== null ? (
        <div className="table-wrap">
          <AppPasswordsTable passwords={passwords.data} onRevoke={setRevoking} />
        </div>
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke the app password “${revoking.name}”?`}
          action="Revoke"
          onConfirm={() => sftpApi.revokeAppPassword(revoking.id)}
          onClose={() => setRevoking(null)}
          onDone={() => {
            setRevoked(revoking.name);
            passwords.reload();
            listHeading.current?.focus();
          }}
        >
          <p>Programs that sign in with it are refused from now on. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
