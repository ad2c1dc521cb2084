import { useId, useState, type FormEvent } from 'react';
import { sftpApi, type SshKey } from '../../api/sftp.ts';
import { Refusal } from '../../ui/Refusal.tsx';

/** Adds a public key with a name; a refusal (a private key pasted, a short RSA key) is the API's own message. */
export function SshKeyForm({ onAdded }: { onAdded: (key: SshKey) => void }) {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const onSubmit = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    setBusy(true);
    setError(null);
    sftpApi.addKey({ name: String(data.get('name') ?? ''), publicKey: String(data.get('publicKey') ?? '') }).then(
      (key) => {
        setBusy(false);
        form.reset();
        onAdded(key);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err);
      },
    );
  };
  return (
    <form className="token-form" onSubmit={onSubmit} aria-labelledby={`${id}-title`} aria-describedby={error ? `${id}-error` : undefined}>
      <h3 id={`${id}-title`}>Add an SSH key</h3>
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} name="name" type="text" required maxLength={100} autoComplete="off" aria-describedby={`${id}-name-hint`} />
      <p id={`${id}-name-hint`} className="meta">
        Which computer or script holds the key (for example “work laptop”).
      </p>
      <label htmlFor={`${id}-key`}>Public key</label>
      <textarea
        id={`${id}-key`}
        name="publicKey"
        required
        rows={4}
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        className="mono"
        aria-describedby={`${id}-key-hint`}
      />
      <p id={`${id}-key-hint`} className="meta">
        The one line of your <code>.pub</code> file, starting with <code>ssh-ed25519</code>, <code>ecdsa-sha2-</code> or <code>ssh-rsa</code>. Create a key with{' '}
        <code>ssh-keygen -t ed25519</code> and paste <code>~/.ssh/id_ed25519.pub</code>; never the file without <code>.pub</code>, which is private.
      </p>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Adding…' : 'Add key'}
        </button>
      </div>
      {error ? (
        <div id={`${id}-error`}>
          <Refusal error={error} />
        </div>
      ) : null}
    </form>
  );
}
