import { useRef } from 'react';
import type { ShareRoot } from '../../../api/connections.ts';
import { FieldError } from './FieldError.tsx';
import { fieldId } from './fields.ts';

/** A share root as the form edits it: groups as the text typed. */
export interface ShareRootDraft {
  readonly key: number;
  readonly path: string;
  readonly roles: readonly string[];
  readonly groups: string;
  readonly write: boolean;
}

/** The roles a share root may name; administrators may always share, so they are not offered. */
const ROLES: ReadonlyArray<{ readonly value: string; readonly label: string }> = [
  { value: 'manager', label: 'Managers' },
  { value: 'employee', label: 'Employees' },
  { value: 'auditor', label: 'Auditors' },
  { value: 'external', label: 'External users' },
];

let nextKey = 1;

export const draftOf = (root: ShareRoot): ShareRootDraft => ({ key: nextKey++, path: root.path, roles: root.roles, groups: root.groups.join(', '), write: root.write ?? false });

export const rootOf = (d: ShareRootDraft): ShareRoot => ({
  path: d.path.trim(),
  roles: d.roles,
  groups: d.groups
    .split(/[,\n]+/)
    .map((g) => g.trim())
    .filter((g) => g !== ''),
  write: d.write,
});

/** The field paths of share root `i`, for the API's problems. */
export const shareRootPaths = (i: number): string[] => ['path', 'roles', 'groups', 'write'].map((f) => `settings.shareRoots.${String(i)}.${f}`);

export function shareRootLabel(path: string): string | null {
  const m = /^settings\.shareRoots\.(\d+)(?:\.(path|roles|groups|write))?/.exec(path);
  if (!m) {
    return null;
  }
  const n = `Share root ${String(Number(m[1]) + 1)}`;
  const part = { path: 'folder', roles: 'roles', groups: 'groups', write: 'SFTP changes' }[m[2] ?? ''];
  return part ? `${n}, ${part}` : n;
}

/**
 * Who may share from where: one row per folder with the roles and IdP groups that may share
 * anything inside it (and optionally change files there over SFTP). Rows are added and removed with
 * buttons; the focus follows (to the new row's folder, or to the list after a removal).
 */
export function ShareRootsEditor({
  formId,
  rows,
  onChange,
  errors,
}: {
  formId: string;
  rows: readonly ShareRootDraft[];
  onChange: (rows: ShareRootDraft[]) => void;
  errors: ReadonlyMap<string, readonly string[]>;
}) {
  const addButton = useRef<HTMLButtonElement>(null);
  const set = (i: number, change: Partial<ShareRootDraft>): void => onChange(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  const add = (): void => {
    onChange([...rows, { key: nextKey++, path: '/', roles: ['employee'], groups: '', write: false }]);
    // The new row's folder takes the focus once it is drawn.
    setTimeout(() => document.getElementById(fieldId(formId, `settings.shareRoots.${String(rows.length)}.path`))?.focus(), 0);
  };
  const remove = (i: number): void => {
    onChange(rows.filter((_, j) => j !== i));
    // The removed row's button is gone: the focus goes on to adding one.
    addButton.current?.focus();
  };
  return (
    <fieldset className="share-roots" aria-describedby={`${formId}-share-roots-hint`}>
      <legend>Share roots</legend>
      <p id={`${formId}-share-roots-hint`} className="meta">
        Who may share from which folder of this connection: people with one of the roles or groups may share anything inside it. Administrators always may.
      </p>
      {rows.length === 0 ? <p className="meta">No share roots: only administrators can share from this connection.</p> : null}
      <ol className="share-root-list">
        {rows.map((r, i) => {
          const path = (f: string): string => `settings.shareRoots.${String(i)}.${f}`;
          const n = String(i + 1);
          const err = (f: string): readonly string[] => errors.get(path(f)) ?? [];
          return (
            <li key={r.key}>
              <fieldset className="share-root">
                <legend>Share root {n}</legend>
                <label htmlFor={fieldId(formId, path('path'))}>Folder</label>
                <input
                  id={fieldId(formId, path('path'))}
                  type="text"
                  className="mono"
                  required
                  spellCheck={false}
                  autoComplete="off"
                  value={r.path}
                  aria-invalid={err('path').length > 0 ? true : undefined}
                  aria-describedby={[`${fieldId(formId, path('path'))}-hint`, err('path').length > 0 ? `${fieldId(formId, path('path'))}-error` : ''].filter(Boolean).join(' ')}
                  onChange={(e) => set(i, { path: e.currentTarget.value })}
                />
                <p id={`${fieldId(formId, path('path'))}-hint`} className="meta">
                  From the connection’s root: / for all of it, /docs for a folder.
                </p>
                <FieldError id={`${fieldId(formId, path('path'))}-error`} messages={err('path')} />
                <fieldset className="roles" id={fieldId(formId, path('roles'))} tabIndex={-1}>
                  <legend>Roles that may share</legend>
                  {ROLES.map((role) => {
                    const id = `${fieldId(formId, path('roles'))}-${role.value}`;
                    return (
                      <div className="check" key={role.value}>
                        <input
                          id={id}
                          type="checkbox"
                          checked={r.roles.includes(role.value)}
                          onChange={(e) => set(i, { roles: e.currentTarget.checked ? [...r.roles, role.value] : r.roles.filter((x) => x !== role.value) })}
                        />
                        <label htmlFor={id}>{role.label}</label>
                      </div>
                    );
                  })}
                  <FieldError id={`${fieldId(formId, path('roles'))}-error`} messages={err('roles')} />
                </fieldset>
                <label htmlFor={fieldId(formId, path('groups'))}>Groups that may share</label>
                <input
                  id={fieldId(formId, path('groups'))}
                  type="text"
                  spellCheck={false}
                  autoComplete="off"
                  value={r.groups}
                  aria-invalid={err('groups').length > 0 ? true : undefined}
                  aria-describedby={[`${fieldId(formId, path('groups'))}-hint`, err('groups').length > 0 ? `${fieldId(formId, path('groups'))}-error` : ''].filter(Boolean).join(' ')}
                  onChange={(e) => set(i, { groups: e.currentTarget.value })}
                />
                <p id={`${fieldId(formId, path('groups'))}-hint`} className="meta">
                  Group names from your identity provider, separated by commas.
                </p>
                <FieldError id={`${fieldId(formId, path('groups'))}-error`} messages={err('groups')} />
                <div className="check">
                  <input id={fieldId(formId, path('write'))} type="checkbox" checked={r.write} onChange={(e) => set(i, { write: e.currentTarget.checked })} />
                  <label htmlFor={fieldId(formId, path('write'))}>They may also change files here over SFTP</label>
                </div>
                <p>
                  <button type="button" className="secondary" onClick={() => remove(i)}>
                    Remove share root {n}
                  </button>
                </p>
              </fieldset>
            </li>
          );
        })}
      </ol>
      <button type="button" className="secondary" onClick={add} ref={addButton}>
        Add a share root
      </button>
    </fieldset>
  );
}
