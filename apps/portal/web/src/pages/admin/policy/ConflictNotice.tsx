import { ChangeList } from './ChangeList.tsx';
import { dotted, type Change } from './document.ts';

const listed = (changes: readonly Change[]) => changes.map((c) => ({ path: dotted(c.path), from: c.from, to: c.to }));

/** A save refused with 412: someone else saved a version since this page loaded it. */
export function ConflictNotice({ version, onReload, busy }: { version: number | null; onReload: () => void; busy: boolean }) {
  return (
    <div className="conflict" role="alert">
      <p>
        <strong>{`Someone else changed the policy${version === null ? '' : ` (version ${String(version)})`} since you opened it.`}</strong> Nothing was
        saved, and your edits are still in the form.
      </p>
      <button type="button" onClick={onReload} disabled={busy}>
        Load their version and keep my edits
      </button>
    </div>
  );
}

/** After loading the other version: what they changed, and the edits kept on top of it. */
export function MergedNotice({ version, theirs, mine, onDismiss }: { version: number; theirs: readonly Change[]; mine: readonly Change[]; onDismiss: () => void }) {
  const overlap = mine.filter((m) => theirs.some((t) => dotted(t.path) === dotted(m.path)));
  return (
    <section className="merged" aria-labelledby="policy-merged-title" tabIndex={-1}>
      <h2 id="policy-merged-title">{`Version ${String(version)} is loaded, with your edits on top`}</h2>
      <h3>What they changed</h3>
      <ChangeList changes={listed(theirs)} label="Changed in the other version" />
      <h3>Your edits, kept</h3>
      <ChangeList changes={listed(mine)} label="Your edits" />
      {overlap.length > 0 ? (
        <p className="notice">{`You and they both changed ${overlap.map((c) => dotted(c.path)).join(', ')}: your value is in the form. Check it before saving.`}</p>
      ) : null}
      <p>Check the form, run a dry run, then save again.</p>
      <button type="button" className="secondary" onClick={onDismiss}>
        Dismiss
      </button>
    </section>
  );
}
