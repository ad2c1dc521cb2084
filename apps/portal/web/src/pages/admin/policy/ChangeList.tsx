import { shown } from './document.ts';

/** Changed settings as "path: from → to", one per line. */
export function ChangeList({ changes, label }: { changes: ReadonlyArray<{ readonly path: string; readonly from: unknown; readonly to: unknown }>; label?: string }) {
  if (changes.length === 0) {
    return <p className="meta">No setting changed.</p>;
  }
  return (
    <ul className="changes" aria-label={label}>
      {changes.map((c) => (
        <li key={c.path}>
          <code>{c.path}</code>: <span className="from">{shown(c.from)}</span> <span aria-hidden="true">→</span>
          <span className="visually-hidden">to</span> <span className="to">{shown(c.to)}</span>
        </li>
      ))}
    </ul>
  );
}
