import { useId, useState, type FormEvent } from 'react';
import { sftpApi, type CreatedAppPassword } from '../../api/sftp.ts';
import { Refusal } from '../../ui/Refusal.tsx';

/** Creates an app password with a name; hands the answer (with the password, this once) up. */
export function AppPasswordForm({ onCreated }: { onCreated: (created: CreatedAppPassword) => void }) {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const onSubmit = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault();
    const form = e.currentTarget;
    setBusy(true);
    setError(null);
    sftpApi.createAppPassword(String(new FormData(form).get('name') ?? '')).then(
      (created) => {
        setBusy(false);
        form.reset();
        onCreated(created);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err);
      },
    );
  };
  return (
    <form className="token-form" onSubmit={onSubmit} aria-labelledby={`${id}-title`} aria-describedby={error ? `${id}-error` : undefined}>
      <h3 id={`${id}-title`}>Create an app password</h3>
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} name="name" type="text" required maxLength={100} autoComplete="off" aria-describedby={`${id}-name-hint`} />
      <p id={`${id}-name-hint`} className="meta">
        Which program uses it (for example “lftp on the build server”).
      </p>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create app password'}
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
