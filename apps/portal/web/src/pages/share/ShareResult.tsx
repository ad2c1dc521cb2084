import { useId } from 'react';
import type { CreatedLink } from '../../api/links.ts';
import { AppLink } from '../../ui/AppLink.tsx';
import { CopyField } from '../../ui/CopyField.tsx';

/** What a new share link answered: one address per recipient, and the way to its page. */
export function ShareResult({ created, what }: { created: CreatedLink; what: string }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="share-result">
      <h2 id={id} tabIndex={-1}>
        Shared
      </h2>
      <p>{`${what} is shared. Each recipient has their own link:`}</p>
      {created.grants.map((g) => {
        const label = `Link for ${g.recipient ?? 'anyone with it'}`;
        return <CopyField key={g.url} label={label} value={g.url} copyName={`link for ${g.recipient ?? 'anyone with it'}`} />;
      })}
      <p>
        <AppLink to={`/app/links/${created.id}`}>Open the link's page</AppLink>
      </p>
    </section>
  );
}
