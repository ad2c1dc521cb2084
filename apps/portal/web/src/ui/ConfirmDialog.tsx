import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { Refusal } from './Refusal.tsx';

/**
 * A confirmation as a native modal <dialog> (showModal: focus stays inside, Escape cancels). The
 * confirming button is named like the action; a refusal of the action is shown inside, as the API said it.
 */
export function ConfirmDialog({
  title,
  action,
  children,
  onConfirm,
  onClose,
  onDone,
}: {
  title: string;
  action: string;
  children: ReactNode;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  /** After the action succeeded and the dialog closed (the page is no longer inert: move the focus here). */
  onDone?: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) {
      dialog.showModal();
    }
    // The safe choice has the focus: Enter or Space on an unread dialog revokes nothing.
    cancel.current?.focus();
    return () => dialog?.close();
  }, []);
  const confirm = (): void => {
    setBusy(true);
    setError(null);
    onConfirm().then(
      () => {
        ref.current?.close();
        onClose();
        onDone?.();
      },
      (e: unknown) => {
        setBusy(false);
        setError(e);
      },
    );
  };
  return (
    <dialog
      ref={ref}
      className="confirm"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      <div id={`${id}-body`}>{children}</div>
      {error ? <Refusal error={error} /> : null}
      <div className="actions">
        <button type="button" className="danger" onClick={confirm} disabled={busy}>
          {action}
        </button>
        <button type="button" className="secondary" onClick={onClose} ref={cancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
