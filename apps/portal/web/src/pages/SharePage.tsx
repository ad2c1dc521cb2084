import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { CreatedLink } from '../api/links.ts';
import { sharesApi, type ShareSource } from '../api/shares.ts';
import { formatBytes } from '../ui/format.tsx';
import { linkOptionsBody, LinkOptionsFields, type LinkOptionsValue } from '../ui/LinkOptionsFields.tsx';
import { RecipientsField, withTypedRecipients } from '../ui/RecipientsField.tsx';
import { Refusal } from '../ui/Refusal.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { usePageTitle } from '../ui/usePageTitle.ts';
import { FolderBrowser, type ShareChoice } from './share/FolderBrowser.tsx';
import { ShareResult } from './share/ShareResult.tsx';
import './share/share.css';

const describeChoice = (c: ShareChoice): string => (c.kind === 'folder' ? `The folder ${c.path}` : `The file ${c.path}`);

/** The link's options for what was chosen: recipients, the shared options, and (files only) whether to pin the content. */
function ShareForm({ choice, onCreated }: { choice: ShareChoice; onCreated: (created: CreatedLink) => void }) {
  const id = useId();
  const [recipients, setRecipients] = useState<string[]>([]);
  const [options, setOptions] = useState<LinkOptionsValue>({});
  const [pinContent, setPinContent] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const onSubmit = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault();
    const all = withTypedRecipients(recipients, e.currentTarget);
    setRecipients(all);
    setBusy(true);
    setError(null);
    sharesApi
      .create({ ...linkOptionsBody(options), connectionId: choice.connectionId, path: choice.path, recipients: all, ...(choice.kind === 'file' ? { pinContent } : {}) })
      .then(
        (created) => {
          setBusy(false);
          onCreated(created);
        },
        (err: unknown) => {
          setError(err);
          setBusy(false);
        },
      );
  };
  return (
    <form onSubmit={onSubmit} aria-describedby={error ? `${id}-error` : undefined} className="share-form">
      <RecipientsField value={recipients} onChange={setRecipients} />
      <LinkOptionsFields value={options} onChange={setOptions} />
      {choice.kind === 'file' ? (
        <div className="share-check">
          <input id={`${id}-pin`} type="checkbox" checked={pinContent} onChange={(e) => setPinContent(e.currentTarget.checked)} aria-describedby={`${id}-pin-hint`} />
          <label htmlFor={`${id}-pin`}>Pin the content</label>
          <p id={`${id}-pin-hint`} className="meta">
            Recipients get exactly the file as it is now: the link stops working if the file changes.
          </p>
        </div>
      ) : null}
      {error ? <Refusal error={error} id={`${id}-error`} /> : null}
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create share link'}
      </button>
    </form>
  );
}

/** Share a file or folder of a storage connection: browse what you may share, choose, set the options, create the link. */
export function SharePage() {
  const id = useId();
  usePageTitle('Share');
  const { data: sources, error } = useLoad(() => sharesApi.sources(), 'share-sources');
  const [connectionId, setConnectionId] = useState<string | null>(null);
  const [choice, setChoice] = useState<ShareChoice | null>(null);
  const [created, setCreated] = useState<{ link: CreatedLink; what: string } | null>(null);
  const chosenHeading = useRef<HTMLHeadingElement>(null);
  const resultRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (created) {
      resultRef.current?.querySelector('h2')?.focus();
    }
  }, [created]);

  const source: ShareSource | null = sources?.find((s) => s.connectionId === connectionId) ?? sources?.[0] ?? null;
  const choose = (c: ShareChoice): void => {
    setChoice(c);
    setCreated(null);
    window.requestAnimationFrame(() => chosenHeading.current?.focus());
  };
  return (
    <>
      <h1>Share</h1>
      <p className="meta">Share a file or folder from your organisation’s storage: the recipients get a link to it, nothing is copied.</p>
      {error ? <Refusal error={error} /> : null}
      {sources === null && !error ? <p aria-live="polite">Loading…</p> : null}
      {sources?.length === 0 ? <p className="share-empty">You may not share from any storage connection. Ask an administrator.</p> : null}
      {sources && source ? (
        <>
          {sources.length > 1 ? (
            <div className="share-connection">
              <label htmlFor={`${id}-connection`}>Connection</label>
              <select id={`${id}-connection`} value={source.connectionId} onChange={(e) => setConnectionId(e.currentTarget.value)}>
                {sources.map((s) => (
                  <option key={s.connectionId} value={s.connectionId}>
                    {s.name}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          <FolderBrowser key={source.connectionId} source={source} chosen={choice} onChoose={choose} />
          <section aria-labelledby={`${id}-chosen`} className="share-choice">
            <h2 id={`${id}-chosen`} ref={chosenHeading} tabIndex={-1}>
              To share
            </h2>
            {choice ? (
              <>
                <p className="share-chosen-item">
                  <strong>{describeChoice(choice)}</strong>
                  {choice.size !== null ? ` (${formatBytes(choice.size)})` : ''} <span className="meta">on {choice.connectionName}</span>
                </p>
                <ShareForm key={`${choice.connectionId}:${choice.path}`} choice={choice} onCreated={(link) => setCreated({ link, what: describeChoice(choice) })} />
              </>
            ) : (
              <p className="meta">Choose a file, or a folder with “Choose this folder”, above.</p>
            )}
          </section>
        </>
      ) : null}
      {/* Focus moves to the result's heading once it is there, which is how it is announced. */}
      <div ref={resultRef}>
        {created ? <ShareResult created={created.link} what={created.what} /> : null}
      </div>
    </>
  );
}
