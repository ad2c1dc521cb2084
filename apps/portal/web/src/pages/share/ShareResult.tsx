import { useId, useRef, useState } from 'react';
import type { CreatedLink } from '../../api/links.ts';
import { AppLink } from '../../ui/AppLink.tsx';

/** One recipient's address: a read-only text box named "Link for …" and a Copy button beside it. */
function LinkBox({ label, url }: { label: string; url: string }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string>('');
  const copy = (): void => {
    const selectIt = (): void => {
      input.current?.focus();
      input.current?.select();
    };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(url).then(
        () => setCopied('Copied.'),
        () => {
          selectIt();
          setCopied('Copying is not allowed here: the address is selected, copy it with your keyboard.');
        },
      );
    } else {
      selectIt();
      setCopied('The address is selected: copy it with your keyboard.');
    }
  };
  return (
    <div className="share-link">
      <label htmlFor={id}>{label}</label>
      <div className="share-link-row">
        <input ref={input} id={id} type="text" readOnly value={url} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" onClick={copy} aria-describedby={`${id}-copied`}>
          Copy<span className="share-vh"> {label.replace(/^Link/, 'link')}</span>
        </button>
      </div>
      <p id={`${id}-copied`} className="meta" aria-live="polite">
        {copied}
      </p>
    </div>
  );
}

/** What a new share link answered: one address per recipient, and the way to its page. */
export function ShareResult({ created, what }: { created: CreatedLink; what: string }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="share-result">
      <h2 id={id} tabIndex={-1}>
        Shared
      </h2>
      <p>{`${what} is shared. Each recipient has their own link:`}</p>
      {created.grants.map((g) => (
        <LinkBox key={g.url} label={`Link for ${g.recipient ?? 'anyone with it'}`} url={g.url} />
      ))}
      <p>
        <AppLink to={`/app/links/${created.id}`}>Open the link's page</AppLink>
      </p>
    </section>
  );
}
