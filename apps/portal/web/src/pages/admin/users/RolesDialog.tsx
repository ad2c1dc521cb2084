import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ROLES, type ManagedUser } from '../../../api/users.ts';
import { Refusal } from '../../../ui/Refusal.tsx';

const ROLE_HINTS: Record<(typeof ROLES)[number], string> = {
  admin: 'Policy, users, connections, branding; every link',
  manager: 'Sends and shares files, sees their own links',
  employee: 'Sends and shares files, sees their own links',
  auditor: 'Reads and exports the audit log',
  external: 'Creates links only where the policy allows it',
};

/** The roles of a local user, as checkboxes in a modal dialog (Escape cancels); the API's refusal is shown inside. */
export function RolesDialog({ user, onSave, onClose }: { user: ManagedUser; onSave: (roles: string[]) => Promise<void>; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [roles, setRoles] = useState<string[]>([...user.roles]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) {
      dialog.showModal();
    }
    return () => dialog?.close();
  }, []);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (roles.length === 0) {
      setError(new Error('Choose at least one role.'));
      return;
    }
    setBusy(true);
    setError(null);
    onSave(ROLES.filter((r) => roles.includes(r))).then(onClose, (err: unknown) => {
      setBusy(false);
      setError(err);
    });
  };
  const toggle = (role: string, on: boolean): void => setRoles((rs) => (on ? [...rs.filter((r) => r !== role), role] : rs.filter((r) => r !== role)));
  return (
    <dialog
      ref={ref}
      className="confirm roles-dialog"
      aria-labelledby={`${id}-title`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id={`${id}-title`}>Roles of {user.displayName ?? user.user}</h2>
      <form onSubmit={submit} aria-labelledby={`${id}-title`}>
        <fieldset>
          <legend>Roles</legend>
          {ROLES.map((role) => (
            <div className="check" key={role}>
              <input id={`${id}-${role}`} type="checkbox" checked={roles.includes(role)} onChange={(e) => toggle(role, e.currentTarget.checked)} aria-describedby={`${id}-${role}-hint`} />
              <label htmlFor={`${id}-${role}`}>{role}</label>
              <p className="meta" id={`${id}-${role}-hint`}>
                {ROLE_HINTS[role]}
              </p>
            </div>
          ))}
        </fieldset>
        <p className="meta">The change applies at once, to every session and API token of {user.user}.</p>
        {error ? <Refusal error={error} /> : null}
        <div className="actions">
          <button type="submit" disabled={busy}>
            Save roles
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
