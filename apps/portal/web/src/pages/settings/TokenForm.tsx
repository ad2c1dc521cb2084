import { useId, useState, type FormEvent } from 'react';
import { tokensApi, type CreatedToken, type TokenScope } from '../../api/tokens.ts';
import { Refusal } from '../../ui/Refusal.tsx';

const EXPIRIES: ReadonlyArray<{ readonly label: string; readonly days: number | null }> = [
  { label: 'In 7 days', days: 7 },
  { label: 'In 30 days', days: 30 },
  { label: 'In 90 days', days: 90 },
  { label: 'In 1 year', days: 365 },
  { label: 'Never', days: null },
];
const DEFAULT_SCOPES = ['links:read', 'links:write'];

/** Creates a token with a name, the scopes the API offers and an expiry; hands the answer up once. */
export function TokenForm({ scopes, onCreated }: { scopes: readonly TokenScope[]; onCreated: (token: CreatedToken) => void }) {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const onSubmit = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const expiry = String(data.get('expiry'));
    setBusy(true);
    setError(null);
    tokensApi
      .create({
        name: String(data.get('name') ?? ''),
        scopes: data.getAll('scopes').map(String),
        expiresInDays: expiry === 'never' ? null : Number(expiry),
      })
      .then(
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
      <h3 id={`${id}-title`}>Create a token</h3>
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} name="name" type="text" required maxLength={100} autoComplete="off" aria-describedby={`${id}-name-hint`} />
      <p id={`${id}-name-hint`} className="meta">
        What the token is for, so you recognise it later (for example “nightly backup script”).
      </p>
      <fieldset>
        <legend>Scopes</legend>
        {scopes.map((s) => (
          <div className="check" key={s.scope}>
            <input
              id={`${id}-scope-${s.scope}`}
              name="scopes"
              type="checkbox"
              value={s.scope}
              defaultChecked={DEFAULT_SCOPES.includes(s.scope)}
              aria-describedby={`${id}-scope-${s.scope}-hint`}
            />
            <label htmlFor={`${id}-scope-${s.scope}`}>{s.scope}</label>
            <span id={`${id}-scope-${s.scope}-hint`} className="meta">
              {s.description}
            </span>
          </div>
        ))}
        <p className="meta">A token never does more than your own roles allow.</p>
      </fieldset>
      <label htmlFor={`${id}-expiry`}>Expires</label>
      <select id={`${id}-expiry`} name="expiry" defaultValue="90">
        {EXPIRIES.map((e) => (
          <option key={e.label} value={e.days === null ? 'never' : String(e.days)}>
            {e.label}
          </option>
        ))}
      </select>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create token'}
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
