import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { connectionsApi, type Connection, type ConnectionKind, type ConnectionSettings } from '../../../api/connections.ts';
import { FieldError, FormErrorSummary } from './FieldError.tsx';
import { fieldId, KIND_FIELDS, KIND_LABELS, LOOPBACK_FIELD, refusalOf, type FieldDef, type FormRefusal, type FormValues } from './fields.ts';
import { draftOf, rootOf, shareRootLabel, shareRootPaths, ShareRootsEditor, type ShareRootDraft } from './ShareRootsEditor.tsx';

const KINDS: readonly ConnectionKind[] = ['local', 's3', 'sftp'];

/** The fields shown for `kind` now (the SFTP password or key, as chosen), loopback last for remote kinds. */
function fieldsOf(kind: ConnectionKind, values: FormValues, builtin: boolean): FieldDef[] {
  if (builtin) {
    return [];
  }
  const own = KIND_FIELDS[kind].filter((f) => !f.when || f.when(values));
  return kind === 'local' ? own : [...own, LOOPBACK_FIELD];
}

function initialValues(connection: Connection | null): Record<string, string | boolean> {
  const values: Record<string, string | boolean> = { 'sftp.auth': 'password', 'settings.port': '22', 'settings.root': connection?.kind === 'sftp' ? '/' : '' };
  if (!connection) {
    return values;
  }
  for (const f of [...KIND_FIELDS[connection.kind], LOOPBACK_FIELD]) {
    const key = f.path.replace(/^settings\./, '');
    const v = f.path.startsWith('settings.') ? connection.settings[key] : undefined;
    if (typeof v === 'boolean') {
      values[f.path] = v;
    } else if (typeof v === 'string' || typeof v === 'number') {
      values[f.path] = String(v);
    }
  }
  return values;
}

/** The request's settings and secrets from what the form holds. */
function requestOf(kind: ConnectionKind, values: FormValues, roots: readonly ShareRootDraft[], connection: Connection | null): { settings: ConnectionSettings; secrets: Record<string, string> } {
  const settings: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const f of fieldsOf(kind, values, connection?.builtin ?? false)) {
    const v = values[f.path];
    const [group, key] = [f.path.slice(0, f.path.indexOf('.')), f.path.slice(f.path.indexOf('.') + 1)];
    if (group === 'secrets') {
      if (typeof v === 'string' && v !== '') {
        secrets[key] = v;
      }
    } else if (group === 'settings') {
      if (f.type === 'checkbox') {
        if (v === true) {
          settings[key] = true;
        }
      } else if (typeof v === 'string' && v.trim() !== '') {
        settings[key] = f.type === 'number' ? Number(v) : v.trim();
      }
    }
  }
  if (kind === 'local' && connection?.settings.allowLoopback !== undefined) {
    settings.allowLoopback = connection.settings.allowLoopback;
  }
  settings.shareRoots = roots.map(rootOf);
  return { settings, secrets };
}

/**
 * Creates a connection, or changes one (`connection`): its name, the settings of its kind, its
 * share roots, and its secrets, which are write-only: the form never shows them, and when editing
 * an empty secret field keeps the stored secret. The gateway checks and reaches the storage before
 * it saves; what it refuses is shown beside each field it names, with a summary that takes the focus.
 */
export function ConnectionForm({ connection, onSaved, onCancel }: { connection: Connection | null; onSaved: (saved: Connection) => void; onCancel: () => void }) {
  const id = useId().replace(/:/g, '');
  const editing = connection !== null;
  const [name, setName] = useState(connection?.name ?? '');
  const [kind, setKind] = useState<ConnectionKind>(connection?.kind ?? 'local');
  const [values, setValues] = useState<Record<string, string | boolean>>(() => initialValues(connection));
  const [roots, setRoots] = useState<ShareRootDraft[]>(() => (connection?.settings.shareRoots ?? []).map(draftOf));
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<FormRefusal | null>(null);
  const [error, setError] = useState<unknown>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const builtin = connection?.builtin ?? false;
  const shown = fieldsOf(kind, values, builtin);

  useEffect(() => heading.current?.focus(), []);

  const labelOf = (path: string): string => {
    if (path === 'name') {
      return 'Name';
    }
    if (path === 'secrets') {
      return 'Credentials';
    }
    const def = [...KIND_FIELDS[kind], LOOPBACK_FIELD].find((f) => f.path === path);
    return def ? (editing && def.editLabel ? def.editLabel : def.label) : (shareRootLabel(path) ?? path);
  };
  const known = new Set<string>(['name', ...shown.map((f) => f.path), ...roots.flatMap((_, i) => shareRootPaths(i))]);
  const errorsOf = (path: string): readonly string[] => refusal?.fields.get(path) ?? [];

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const { settings, secrets } = requestOf(kind, values, roots, connection);
    const hasSecrets = Object.keys(secrets).length > 0;
    setBusy(true);
    setRefusal(null);
    setError(null);
    const saving = connection
      ? connectionsApi.update(connection.id, { name: name.trim(), settings, ...(hasSecrets ? { secrets } : {}) })
      : connectionsApi.create({ name: name.trim(), kind, settings, ...(kind === 'local' ? {} : { secrets }) });
    saving.then(
      (saved) => {
        setBusy(false);
        onSaved(saved);
      },
      (err: unknown) => {
        setBusy(false);
        const r = refusalOf(err, known, labelOf);
        if (r) {
          setRefusal(r);
        } else {
          setError(err);
        }
      },
    );
  };

  const set = (path: string, v: string | boolean): void => setValues((old) => ({ ...old, [path]: v }));
  const problems = refusal ? [...refusal.fields.entries()] : [];

  return (
    <form className="connection-form" onSubmit={submit} aria-labelledby={`${id}-title`} noValidate>
      <h2 id={`${id}-title`} ref={heading} tabIndex={-1}>
        {connection ? `Edit “${connection.name}”` : 'New storage connection'}
      </h2>
      {refusal || error ? (
        <FormErrorSummary
          formId={id}
          title={connection ? 'The changes were not saved' : 'The connection was not created'}
          problems={problems}
          summary={refusal ? refusal.summary : null}
          error={error}
          labelOf={labelOf}
        />
      ) : null}

      <Field formId={id} def={{ path: 'name', label: 'Name', type: 'text', required: true, hint: 'How administrators and people who share see it.' }} value={name} errors={errorsOf('name')} onChange={(v) => setName(String(v))} />

      {editing ? (
        <p className="kind-line">
          <strong>Kind:</strong> {KIND_LABELS[kind]}
          {builtin ? ' (the gateway’s own folder in its data directory)' : ''}
        </p>
      ) : (
        <fieldset className="kinds">
          <legend>Kind</legend>
          {KINDS.map((k) => (
            <div className="check" key={k}>
              <input id={`${id}-kind-${k}`} type="radio" name="kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
              <label htmlFor={`${id}-kind-${k}`}>{KIND_LABELS[k]}</label>
            </div>
          ))}
        </fieldset>
      )}

      {shown.length > 0 ? (
        <fieldset className="kind-settings">
          <legend>{KIND_LABELS[kind]} settings</legend>
          {editing && kind !== 'local' ? <p className="meta">The stored credentials are never shown. Leave their fields empty to keep them.</p> : null}
          {shown.map((f) => (
            <Field key={f.path} formId={id} def={editing && f.editLabel ? { ...f, label: f.editLabel, required: false } : f} value={values[f.path] ?? (f.type === 'checkbox' ? false : '')} errors={errorsOf(f.path)} onChange={(v) => set(f.path, v)} />
          ))}
        </fieldset>
      ) : null}

      <ShareRootsEditor formId={id} rows={roots} onChange={setRoots} errors={refusal?.fields ?? new Map()} />

      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Checking and saving…' : connection ? 'Save changes' : 'Create connection'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <p className="meta" aria-live="polite">
        {busy ? 'The gateway is reaching the storage before it saves; this can take a few seconds.' : ''}
      </p>
    </form>
  );
}

/** One labelled control, with its hint and what the gateway said is wrong with it. */
function Field({ formId, def, value, errors, onChange }: { formId: string; def: FieldDef; value: string | boolean; errors: readonly string[]; onChange: (v: string | boolean) => void }) {
  const id = fieldId(formId, def.path);
  const described = [def.hint ? `${id}-hint` : '', errors.length > 0 ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    'aria-invalid': errors.length > 0 ? true : undefined,
    'aria-describedby': described,
  } as const;
  const hint = def.hint ? (
    <p id={`${id}-hint`} className="meta hint">
      {def.hint}
    </p>
  ) : null;
  const error = <FieldError id={`${id}-error`} messages={errors} />;
  if (def.type === 'checkbox') {
    return (
      <div className="field check-field">
        <div className="check">
          <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} />
          <label htmlFor={id}>{def.label}</label>
        </div>
        {hint}
        {error}
      </div>
    );
  }
  const text = typeof value === 'string' ? value : '';
  return (
    <div className="field">
      <label htmlFor={id}>{def.label}</label>
      {hint}
      {def.type === 'select' ? (
        <select {...common} value={text} onChange={(e) => onChange(e.currentTarget.value)}>
          {def.options?.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      ) : def.type === 'textarea' ? (
        <textarea {...common} rows={5} className={def.mono ? 'mono' : undefined} spellCheck={false} autoComplete="off" value={text} onChange={(e) => onChange(e.currentTarget.value)} />
      ) : (
        <input
          {...common}
          type={def.type}
          className={def.mono ? 'mono' : undefined}
          required={def.required}
          spellCheck={false}
          autoComplete={def.type === 'password' ? 'new-password' : 'off'}
          inputMode={def.type === 'number' ? 'numeric' : undefined}
          placeholder={def.placeholder}
          value={text}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      )}
      {error}
    </div>
  );
}
