import { useEffect, useId, useRef, useState } from 'react';
import { tokensApi, type ApiToken } from '../../api/tokens.ts';
import { Refusal } from '../../ui/Refusal.tsx';

/** Asks before revoking `token` (a native modal <dialog>); closing it any way cancels. */
export function RevokeTokenDialog({ token, onClose, onRevoked }: { token: ApiToken; onClose: () => void; onRevoked: () => void }) {
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) {
      d.showModal();
    }
    return () => d?.close();
  }, []);
  const revoke = (): void => {
    setBusy(true);
    setError(null);
    tokensApi.revoke(token.id).then(
      () => {
        // Closed first, so that the page is no longer inert when the caller moves the focus.
        dialog.current?.close();
        onRevoked();
      },
      (err: unknown) => {
        setBusy(false);
        setError(err);
      },
    );
  };
  return (
    <dialog ref={dialog} className="confirm" aria-labelledby={`${id}-title`} aria-describedby={`${id}-text`} onClose={onClose}>
      <h2 id={`${id}-title`}>Revoke the token “{token.name}”?</h2>
      <p id={`${id}-text`}>Scripts that use it are refused from now on. This cannot be undone.</p>
      {error ? <Refusal error={error} /> : null}
      <div className="actions">
        <button type="button" className="secondary" onClick={onClose} autoFocus>
          Cancel
        </button>
        <button type="button" className="danger" onClick={revoke} disabled={busy}>
          Revoke
        </button>
      </div>
    </dialog>
  );
}
