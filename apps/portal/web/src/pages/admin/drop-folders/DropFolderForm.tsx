import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../../../api/client.ts';
import { dropFoldersApi, type DropFolder, type DropFolderBody, type DropFolderOptions } from '../../../api/drop-folders.ts';
import { formatDate } from '../../../ui/format.tsx';
import { RecipientsField, withTypedRecipients } from '../../../ui/RecipientsField.tsx';
import { FieldError, FormErrorSummary } from '../connections/FieldError.tsx';
import { fieldId, sentence } from '../connections/fields.ts';

/** The roles a drop folder may name (with neither roles nor groups, only admins may use it). */
export const DROP_ROLES: ReadonlyArray<{ readonly value: string; readonly label: string }> = [
  { value: 'admin', label: 'Admins' },
  { value: 'manager', label: 'Managers' },
  { value: 'employee', label: 'Employees' },
  { value: 'auditor', label: 'Auditors' },
  { value: 'external', label: 'External users' },
];

/** A yes/no option of the links, or left to the uploader's policy. */
type Tri = '' | 'yes' | 'no';
const triOf = (v: boolean | undefined): Tri => (v === undefined ? '' : v ? 'yes' : 'no');
const boolOf = (t: Tri): boolean | undefined => (t === '' ? undefined : t === 'yes');

const TRI_OPTIONS: ReadonlyArray<{ readonly key: 'oneTime' | 'requireEmailVerification' | 'notify' | 'notifyOnDownload'; readonly label: string; readonly yes: string; readonly no: string }> = [
  { key: 'oneTime', label: 'One-time links', yes: 'Yes (one download each)', no: 'No' },
  { key: 'requireEmailVerification', label: 'Recipients verify their email address', yes: 'Yes (a code by email)', no: 'No' },
  { key: 'notify', label: 'Email the recipients their links', yes: 'Yes', no: 'No (the uploader passes them on)' },
  { key: 'notifyOnDownload', label: 'Email the uploader on each download', yes: 'Yes', no: 'No' },
];

/** What the password part of the form asks for. */
type PasswordChoice = 'keep' | 'none' | 'set';

/** How people read an API field path of a drop folder. */
const LABELS: Readonly<Record<string, string>> = {
  name: 'Name',
  recipients: 'Recipients',
  message: 'Message',
  roles: 'Roles',
  groups: 'IdP groups',
  'options.oneTime': 'One-time links',
  'options.requireEmailVerification': 'Recipients verify their email address',
  'options.notify': 'Email the recipients their links',
  'options.notifyOnDownload': 'Email the uploader on each download',
  'options.maxDownloads': 'Downloads per recipient',
  'options.expiresAt': 'Expiry',
  'options.password': 'Link password',
};
const labelOf = (path: string): string => LABELS[path] ?? LABELS[path.replace(/\.\d+$/, '')] ?? path;
/** The form field a problem belongs to (a problem with one recipient or group goes to its list). */
const fieldOf = (path: string): string => (LABELS[path] ? path : path.replace(/\.\d+$/, ''));

/** The API's refusal as messages beside the fields it names: a 400 lists `problems: [{ field, message }]`; a 409 names one `field`. */
function problemsOf(err: unknown): Map<string, string[]> | null {
  if (!(err instanceof ApiError) || ![400, 409, 422].includes(err.status)) {
    return null;
  }
  const fields = new Map<string, string[]>();
  const add = (field: string, message: string): void => {
    const target = fieldOf(field);
    fields.set(target, [...(fields.get(target) ?? []), sentence(message)]);
  };
  const problems = err.body.problems;
  if (Array.isArray(problems)) {
    for (const p of problems as Array<{ field?: unknown; message?: unknown }>) {
      if (typeof p.field === 'string' && typeof p.message === 'string') {
        // One entry of a list (recipients.2): which one, counted from 1.
        const index = /\.(\d+)$/.exec(p.field);
        add(p.field, index ? `entry ${String(Number(index[1]) + 1)}: ${p.message}` : p.message);
      }
    }
  } else if (typeof err.body.field === 'string') {
    const field = err.body.field;
    add(field, err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message);
  }
  return fields.size > 0 ? fields : null;
}

/** The expiry choice of the form: the policy's default, never, or a date the API set (kept as it is). */
function expiryChoices(current: string | undefined): ReadonlyArray<{ readonly value: string; readonly label: string }> {
  return [
    { value: '', label: 'The uploader’s policy default' },
    { value: 'never', label: 'Never (where the policy allows it)' },
    ...(current && current !== 'never' ? [{ value: current, label: `On ${formatDate(current)} (the same date for every link)` }] : []),
  ];
}

/**
 * Creates a drop folder, or changes one (`folder`): its name, fixed recipients, message, the
 * options of the links it makes, a password (write-only: never shown, kept unless changed), and
 * who may use it. What the gateway refuses is shown beside each field it names, with a summary
 * that takes the focus.
 */
export function DropFolderForm({ folder, onSaved, onCancel }: { folder: DropFolder | null; onSaved: (saved: DropFolder) => void; onCancel: () => void }) {
  const id = useId().replace(/:/g, '');
  const [name, setName] = useState(folder?.name ?? '');
  const [recipients, setRecipients] = useState<string[]>([...(folder?.recipients ?? [])]);
  const [message, setMessage] = useState(folder?.message ?? '');
  const [tri, setTri] = useState<Record<string, Tri>>(() => Object.fromEntries(TRI_OPTIONS.map((o) => [o.key, triOf(folder?.options[o.key])])));
  const [downloads, setDownloads] = useState(() => {
    const m = folder?.options.maxDownloads;
    return m === undefined ? '' : m === 'unlimited' ? 'unlimited' : String(m);
  });
  const [expiry, setExpiry] = useState(folder?.options.expiresAt ?? '');
  const [passwordChoice, setPasswordChoice] = useState<PasswordChoice>(folder?.passwordProtected ? 'keep' : 'none');
  const [password, setPassword] = useState('');
  const [roles, setRoles] = useState<string[]>([...(folder?.roles ?? ['employee'])]);
  const [groups, setGroups] = useState((folder?.groups ?? []).join('\n'));
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Map<string, string[]> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => heading.current?.focus(), []);

  const errorsOf = (path: string): readonly string[] => problems?.get(path) ?? [];
  const described = (path: string, hint: boolean): string | undefined =>
    [hint ? `${fieldId(id, path)}-hint` : '', errorsOf(path).length > 0 ? `${fieldId(id, path)}-error` : ''].filter(Boolean).join(' ') || undefined;
  const invalid = (path: string): true | undefined => (errorsOf(path).length > 0 ? true : undefined);

  const bodyOf = (form: HTMLFormElement): DropFolderBody => {
    const options: Record<string, unknown> = {};
    for (const o of TRI_OPTIONS) {
      const v = boolOf(tri[o.key] ?? '');
      if (v !== undefined) {
        options[o.key] = v;
      }
    }
    const d = downloads.trim();
    if (d !== '') {
      options.maxDownloads = d === 'unlimited' ? 'unlimited' : /^\d+$/.test(d) ? Number(d) : d;
    }
    if (expiry !== '') {
      options.expiresAt = expiry;
    }
    if (passwordChoice === 'none' && folder?.passwordProtected) {
      options.password = null;
    } else if (passwordChoice === 'set') {
      options.password = password;
    }
    return {
      name: name.trim(),
      recipients: withTypedRecipients(recipients, form),
      options: options as DropFolderOptions,
      message: message.trim() === '' ? null : message,
      roles,
      groups: groups
        .split(/[\n,]+/)
        .map((g) => g.trim())
        .filter(Boolean),
    };
  };

  const submit = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault();
    const body = bodyOf(e.currentTarget);
    setBusy(true);
    setProblems(null);
    setError(null);
    (folder ? dropFoldersApi.update(folder.id, body) : dropFoldersApi.create(body)).then(
      (saved) => {
        setBusy(false);
        onSaved(saved);
      },
      (err: unknown) => {
        setBusy(false);
        const found = problemsOf(err);
        if (found) {
          setProblems(found);
        } else {
          setError(err);
        }
      },
    );
  };

  const listed = problems ? [...problems.entries()] : [];
  const hint = (path: string, text: ReactNode): ReactNode => (
    <p id={`${fieldId(id, path)}-hint`} className="meta hint">
      {text}
    </p>
  );
  const fieldError = (path: string): ReactNode => <FieldError id={`${fieldId(id, path)}-error`} messages={errorsOf(path)} />;

  return (
    <form className="connection-form drop-folder-form" onSubmit={submit} aria-labelledby={`${id}-title`} noValidate>
      <h2 id={`${id}-title`} ref={heading} tabIndex={-1}>
        {folder ? `Edit “${folder.name}”` : 'New drop folder'}
      </h2>
      {problems || error ? (
        <FormErrorSummary formId={id} title={folder ? 'The changes were not saved' : 'The drop folder was not created'} problems={listed} summary={null} error={error} labelOf={labelOf} />
      ) : null}

      <div className="field">
        <label htmlFor={fieldId(id, 'name')}>Name</label>
        {hint('name', <>Its folder in everyone’s SFTP tree: /drop/{name.trim() === '' ? '<name>' : name.trim()}/. Letters, digits, spaces, “-”, “_” and “.”, up to 64.</>)}
        <input id={fieldId(id, 'name')} type="text" required maxLength={64} autoComplete="off" spellCheck={false} value={name} aria-invalid={invalid('name')} aria-describedby={described('name', true)} onChange={(e) => setName(e.currentTarget.value)} />
        {fieldError('name')}
      </div>

      <div className="field" id={fieldId(id, 'recipients')} tabIndex={-1}>
        <RecipientsField value={recipients} onChange={setRecipients} hint="The addresses every link made from this folder goes to: type or paste several, separated by commas, spaces or new lines (1 to 50)." />
        {fieldError('recipients')}
      </div>

      <div className="field">
        <label htmlFor={fieldId(id, 'message')}>Message (optional)</label>
        {hint('message', 'Shown to the recipients in their email and on the link page.')}
        <textarea id={fieldId(id, 'message')} rows={3} maxLength={4000} value={message} aria-invalid={invalid('message')} aria-describedby={described('message', true)} onChange={(e) => setMessage(e.currentTarget.value)} />
        {fieldError('message')}
      </div>

      <fieldset>
        <legend>The links it makes</legend>
        <p className="meta hint">Left to the policy, an option is the uploader’s policy default; the policy is checked for every link, so a rule it enforces always applies.</p>
        {TRI_OPTIONS.map((o) => {
          const path = `options.${o.key}`;
          return (
            <div className="field" key={o.key}>
              <label htmlFor={fieldId(id, path)}>{o.label}</label>
              <select id={fieldId(id, path)} value={tri[o.key] ?? ''} aria-invalid={invalid(path)} aria-describedby={described(path, false)} onChange={(e) => {
                  // Read now: React clears currentTarget once the handler returns, before the update runs.
                  const chosen = e.currentTarget.value as Tri;
                  setTri((old) => ({ ...old, [o.key]: chosen }));
                }}>
                <option value="">The policy default</option>
                <option value="yes">{o.yes}</option>
                <option value="no">{o.no}</option>
              </select>
              {fieldError(path)}
            </div>
          );
        })}
        <div className="field">
          <label htmlFor={fieldId(id, 'options.maxDownloads')}>Downloads per recipient</label>
          {hint('options.maxDownloads', 'A number, “unlimited”, or empty for the policy default.')}
          <input
            id={fieldId(id, 'options.maxDownloads')}
            type="text"
            inputMode="numeric"
            autoComplete="off"
            value={downloads}
            aria-invalid={invalid('options.maxDownloads')}
            aria-describedby={described('options.maxDownloads', true)}
            onChange={(e) => setDownloads(e.currentTarget.value)}
          />
          {fieldError('options.maxDownloads')}
        </div>
        <div className="field">
          <label htmlFor={fieldId(id, 'options.expiresAt')}>Expiry</label>
          <select id={fieldId(id, 'options.expiresAt')} value={expiry} aria-invalid={invalid('options.expiresAt')} aria-describedby={described('options.expiresAt', false)} onChange={(e) => setExpiry(e.currentTarget.value)}>
            {expiryChoices(folder?.options.expiresAt).map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
          {fieldError('options.expiresAt')}
        </div>
        <fieldset className="password-choice" aria-describedby={described('options.password', false)}>
          <legend>Link password</legend>
          {(folder?.passwordProtected ? (['keep', 'none', 'set'] as const) : (['none', 'set'] as const)).map((c) => (
            <div className="check" key={c}>
              <input id={`${fieldId(id, 'options.password')}-${c}`} type="radio" name={`${id}-password`} checked={passwordChoice === c} onChange={() => setPasswordChoice(c)} />
              <label htmlFor={`${fieldId(id, 'options.password')}-${c}`}>{{ keep: 'Keep the password it has', none: folder?.passwordProtected ? 'Remove the password' : 'No password (unless the policy makes one)', set: folder?.passwordProtected ? 'Set a new password' : 'Set a password' }[c]}</label>
            </div>
          ))}
          {passwordChoice === 'set' ? (
            <div className="field">
              <label htmlFor={fieldId(id, 'options.password')}>Password for every link</label>
              {hint('options.password', 'Never shown again, and not written into the .link.txt files: tell the recipients yourself.')}
              <input
                id={fieldId(id, 'options.password')}
                type="password"
                autoComplete="new-password"
                value={password}
                aria-invalid={invalid('options.password')}
                aria-describedby={described('options.password', true)}
                onChange={(e) => setPassword(e.currentTarget.value)}
              />
            </div>
          ) : null}
          {fieldError('options.password')}
        </fieldset>
      </fieldset>

      <fieldset id={fieldId(id, 'roles')} tabIndex={-1} aria-describedby={described('roles', true)}>
        <legend>Who may use it</legend>
        {hint('roles', 'People with one of these roles, or in one of these IdP groups, see the folder in their SFTP tree. With neither, only admins do.')}
        {DROP_ROLES.map((r) => (
          <div className="check" key={r.value}>
            <input
              id={`${fieldId(id, 'roles')}-${r.value}`}
              type="checkbox"
              checked={roles.includes(r.value)}
              onChange={(e) => {
                const on = e.currentTarget.checked;
                setRoles((old) => (on ? [...old, r.value] : old.filter((x) => x !== r.value)));
              }}
            />
            <label htmlFor={`${fieldId(id, 'roles')}-${r.value}`}>{r.label}</label>
          </div>
        ))}
        {fieldError('roles')}
        <div className="field">
          <label htmlFor={fieldId(id, 'groups')}>IdP groups</label>
          {hint('groups', 'One per line, as the identity provider names them.')}
          <textarea id={fieldId(id, 'groups')} rows={3} className="mono" spellCheck={false} autoComplete="off" value={groups} aria-invalid={invalid('groups')} aria-describedby={described('groups', true)} onChange={(e) => setGroups(e.currentTarget.value)} />
          {fieldError('groups')}
        </div>
      </fieldset>

      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : folder ? 'Save changes' : 'Create drop folder'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
