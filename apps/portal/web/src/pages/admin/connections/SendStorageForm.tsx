import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../../../api/client.ts';
import { connectionsApi, type Connection, type SendStorageSetting } from '../../../api/connections.ts';
import { formatDate } from '../../../ui/format.tsx';
import { Refusal } from '../../../ui/Refusal.tsx';

/** Shows where send copies are kept and chooses another connection for new send links. */
export function SendStorageForm({ connections, setting, onChanged }: { connections: readonly Connection[]; setting: SendStorageSetting; onChanged: (s: SendStorageSetting) => void }) {
  const id = useId();
  const [chosen, setChosen] = useState(setting.connectionId);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const current = connections.find((c) => c.id === setting.connectionId);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    connectionsApi.setSendStorage(chosen).then(
      (s) => {
        setBusy(false);
        onChanged(s);
      },
      (err: unknown) => {
        setBusy(false);
        // "connectionId: …" names the field of the API's body; here it is the select above.
        setError(err instanceof ApiError && err.message.startsWith('connectionId: ') ? new Error(err.message.slice('connectionId: '.length)) : err);
      },
    );
  };
  return (
    <section aria-labelledby={`${id}-title`} className="send-storage">
      <h2 id={`${id}-title`}>Send storage</h2>
      <p>
        New send links keep their copies in <strong>{current?.name ?? setting.connectionId}</strong>
        {setting.updatedAt ? ` (chosen ${formatDate(setting.updatedAt)}${setting.updatedBy ? ` by ${setting.updatedBy}` : ''})` : ' (the gateway’s own folder, until another is chosen)'}. Links
        already sent keep their copies where they were written.
      </p>
      <form className="inline-form" onSubmit={submit} aria-describedby={error ? `${id}-error` : undefined}>
        <div className="field">
          <label htmlFor={`${id}-choice`}>Send storage</label>
          <select id={`${id}-choice`} value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
            {connections.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Use for send links'}
        </button>
      </form>
      {error ? <Refusal error={error} id={`${id}-error`} /> : null}
    </section>
  );
}
