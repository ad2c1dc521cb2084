import { useId, useState, type FormEvent } from 'react';
import { linksApi, type CreatedLink } from '../api/links.ts';
import { AppLink } from '../ui/AppLink.tsx';
import { Refusal } from '../ui/Refusal.tsx';
import { usePageTitle } from '../ui/usePageTitle.ts';

/** Send files: one upload of the form (multipart) to POST /api/v1/links; one link per recipient. */
export function SendPage() {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<CreatedLink | null>(null);
  usePageTitle('Send');
  const onSubmit = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault();
    const source = new FormData(e.currentTarget);
    const form = new FormData();
    const recipients = String(source.get('recipients') ?? '')
      .split(/[\s,;]+/)
      .filter((r) => r !== '');
    if (recipients.length > 0) {
      form.append('recipients', recipients.join(','));
    }
    for (const file of source.getAll('files')) {
      if (file instanceof File && file.name !== '') {
        form.append('file', file, file.name);
      }
    }
    setBusy(true);
    setError(null);
    linksApi.send(form).then(
      (answer) => {
        setCreated(answer);
        setBusy(false);
      },
      (err: unknown) => {
        setError(err);
        setBusy(false);
      },
    );
  };
  return (
    <>
      <h1>Send</h1>
      <form onSubmit={onSubmit} aria-describedby={error ? `${id}-error` : undefined}>
        <label htmlFor={`${id}-files`}>Files</label>
        <input id={`${id}-files`} name="files" type="file" multiple required />
        <label htmlFor={`${id}-recipients`}>Recipients</label>
        <textarea id={`${id}-recipients`} name="recipients" rows={3} aria-describedby={`${id}-recipients-hint`} />
        <p id={`${id}-recipients-hint`} className="meta">
          Email addresses, separated by commas or new lines. Leave empty for one link to pass on yourself.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Send'}
        </button>
      </form>
      <div aria-live="polite">
        {error ? (
          <div id={`${id}-error`}>
            <Refusal error={error} />
          </div>
        ) : null}
        {created ? (
          <section aria-labelledby={`${id}-done`}>
            <h2 id={`${id}-done`}>Sent</h2>
            {created.grants.map((g, i) => (
              <div key={g.url}>
                <label htmlFor={`${id}-link-${String(i)}`}>{`Link for ${g.recipient ?? 'anyone with it'}`}</label>
                <input id={`${id}-link-${String(i)}`} type="text" readOnly value={g.url} />
              </div>
            ))}
            <p>
              <AppLink to={`/app/links/${created.id}`}>Open the link's page</AppLink>
            </p>
          </section>
        ) : null}
      </div>
    </>
  );
}
