import { useId } from 'react';
import type { CreatedAppPassword } from '../../api/sftp.ts';
import { CopyField } from '../../ui/CopyField.tsx';

/** The new app password, shown this once, with a Copy button and the user name it goes with. */
export function NewAppPasswordBox({ created, username, onDone }: { created: CreatedAppPassword; username: string; onDone: () => void }) {
  const id = useId();
  return (
    <section className="new-token" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>App password “{created.name}” created</h3>
      <p id={`${id}-warning`} className="warning">
        Copy it now: it will not be shown again. Anyone who has it can sign in to SFTP as you.
      </p>
      <CopyField label="New app password" value={created.password} describedBy={`${id}-warning`} monospace focusOnShow />
      <p className="meta">
        Sign in to SFTP with the user name <code>{username}</code> and this password.
      </p>
      <button type="button" className="secondary" onClick={onDone}>
        I have stored it
      </button>
    </section>
  );
}
