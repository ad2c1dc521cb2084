import { useId } from 'react';
import type { CreatedToken } from '../../api/tokens.ts';
import { CopyField } from '../../ui/CopyField.tsx';

/** The new token's secret, shown this once, with a Copy button. */
export function NewTokenBox({ token, onDone }: { token: CreatedToken; onDone: () => void }) {
  const id = useId();
  return (
    <section className="new-token" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Token “{token.name}” created</h3>
      <p id={`${id}-warning`} className="warning">
        Copy it now: it will not be shown again. Anyone who has it can act as you, within its scopes.
      </p>
      <CopyField label="New token" value={token.token} describedBy={`${id}-warning`} monospace focusOnShow />
      <p className="meta">
        Send it as <code>Authorization: Bearer …</code> to <code>/api/v1</code>.
      </p>
      <button type="button" className="secondary" onClick={onDone}>
        I have stored it
      </button>
    </section>
  );
}
