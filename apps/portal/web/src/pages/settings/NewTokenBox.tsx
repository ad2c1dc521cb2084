import { useEffect, useId, useRef, useState } from 'react';
import type { CreatedToken } from '../../api/tokens.ts';

/** The new token's secret, shown this once, with a Copy button. */
export function NewTokenBox({ token, onDone }: { token: CreatedToken; onDone: () => void }) {
  const id = useId();
  const box = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  useEffect(() => {
    box.current?.focus();
    box.current?.select();
  }, [token.id]);
  const copy = (): void => {
    box.current?.select();
    navigator.clipboard.writeText(token.token).then(
      () => setCopied('yes'),
      () => setCopied('no'),
    );
  };
  return (
    <section className="new-token" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Token “{token.name}” created</h3>
      <p id={`${id}-warning`} className="warning">
        Copy it now: it will not be shown again. Anyone who has it can act as you, within its scopes.
      </p>
      <label htmlFor={`${id}-token`}>New token</label>
      <div className="copy-row">
        <input ref={box} id={`${id}-token`} type="text" readOnly value={token.token} aria-describedby={`${id}-warning`} spellCheck={false} />
        <button type="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p className="meta" role="status">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'no' ? 'The browser did not allow copying: select the text and copy it yourself.' : ''}
      </p>
      <p className="meta">
        Send it as <code>Authorization: Bearer …</code> to <code>/api/v1</code>.
      </p>
      <button type="button" className="secondary" onClick={onDone}>
        I have stored it
      </button>
    </section>
  );
}
