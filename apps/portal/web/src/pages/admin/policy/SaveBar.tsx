import { plural } from './labels.ts';

/** The form's actions: Dry run, Save (the form's submit button), and whether saving applies to existing links. */
export function SaveBar({
  edits,
  busy,
  retroactive,
  onRetroactive,
  onDryRun,
}: {
  edits: number;
  busy: 'dry' | 'save' | 'reload' | null;
  retroactive: boolean;
  onRetroactive: (on: boolean) => void;
  onDryRun: () => void;
}) {
  return (
    <div className="policy-actions">
      <p className="meta edits" aria-live="polite">
        {edits === 0 ? 'No unsaved edits.' : `${plural(edits, 'setting', 'settings')} edited, not saved yet.`}
      </p>
      <div className="buttons">
        <button type="button" className="secondary" onClick={onDryRun} disabled={busy !== null}>
          {busy === 'dry' ? 'Checking…' : 'Dry run'}
        </button>
        <button type="submit" disabled={busy !== null}>
          {busy === 'save' ? 'Saving…' : 'Save'}
        </button>
        <div className="check-field retro">
          <input id="policy-retroactive" type="checkbox" checked={retroactive} aria-describedby="policy-retroactive-hint" onChange={(e) => onRetroactive(e.currentTarget.checked)} />
          <label htmlFor="policy-retroactive">Apply to existing links</label>
          <p id="policy-retroactive-hint" className="meta hint">
            Live links that break the new policy get a shorter expiry, or are revoked. You confirm after seeing how many.
          </p>
        </div>
      </div>
    </div>
  );
}
