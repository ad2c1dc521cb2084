import { formatBytes } from '../../ui/format.tsx';
import type { FileItem } from './useUploads.ts';

const percent = (sent: number, size: number): number => (size === 0 ? 100 : Math.floor((sent / size) * 100));

function timeLeft(seconds: number): string {
  if (seconds < 60) {
    return `${String(Math.max(1, Math.round(seconds)))} s left`;
  }
  if (seconds < 3600) {
    return `${String(Math.round(seconds / 60))} min left`;
  }
  return `${(seconds / 3600).toFixed(1)} h left`;
}

/** "45 % · 12.0 of 200.0 MiB · 20.1 MiB/s · 9 s left", or the state when it is not moving. */
function detail(sent: number, size: number, speed: number, state: FileItem['state']): string {
  const parts = [`${String(percent(sent, size))} %`, `${formatBytes(sent)} of ${formatBytes(size)}`];
  if (state === 'uploading' && speed > 0 && sent < size) {
    parts.push(`${formatBytes(speed)}/s`, timeLeft((size - sent) / speed));
  } else if (state !== 'uploading' && state !== 'done') {
    parts.push({ paused: 'paused', offline: 'waiting for the network', failed: 'stopped' }[state]);
  }
  return parts.join(' · ');
}

/** Per-file and overall progress bars with speed and time left, and Pause or Resume. */
export function UploadList({ items, onRemove, onPause, onResume }: { items: readonly FileItem[]; onRemove: (key: number) => void; onPause: () => void; onResume: () => void }) {
  if (items.length === 0) {
    return null;
  }
  const size = items.reduce((n, i) => n + i.size, 0);
  const sent = items.reduce((n, i) => n + Math.min(i.sent, i.size), 0);
  const speed = items.reduce((n, i) => n + (i.state === 'uploading' ? i.speed : 0), 0);
  const moving = items.some((i) => i.state === 'uploading');
  const stopped = items.some((i) => i.state === 'paused' || i.state === 'failed');
  const overall = moving ? 'uploading' : items.every((i) => i.state === 'done') ? 'done' : stopped ? 'paused' : 'offline';
  return (
    <section className="uploads" aria-labelledby="uploads-heading">
      <h2 id="uploads-heading">Uploads</h2>
      <div className="bar overall">
        <span className="bar-name" id="overall-name">
          Overall
        </span>
        <progress aria-labelledby="overall-name" max={Math.max(size, 1)} value={size === 0 ? 1 : sent} />
        <span className="meta bar-detail">{detail(sent, size, speed, overall)}</span>
      </div>
      <div className="controls">
        {moving ? (
          <button type="button" className="secondary" onClick={onPause}>
            Pause
          </button>
        ) : null}
        {stopped ? (
          <button type="button" className="secondary" onClick={onResume}>
            Resume
          </button>
        ) : null}
      </div>
      <ul className="upload-list">
        {items.map((i) => (
          <li key={i.key} className="bar">
            <span className="bar-name" id={`upload-${String(i.key)}`}>
              {i.name}
            </span>
            <progress aria-labelledby={`upload-${String(i.key)}`} max={Math.max(i.size, 1)} value={i.size === 0 ? (i.state === 'done' ? 1 : 0) : Math.min(i.sent, i.size)} />
            <span className="meta bar-detail">{i.state === 'done' ? `Uploaded · ${formatBytes(i.size)}` : detail(i.sent, i.size, i.speed, i.state)}</span>
            {i.resumedFrom !== undefined ? <span className="meta resumed">{`Continued from ${formatBytes(i.resumedFrom)}: the bytes sent before were kept.`}</span> : null}
            {i.state === 'failed' && i.message ? <span className="error">{i.message}</span> : null}
            <button type="button" className="secondary remove" aria-label={`Remove ${i.name}`} onClick={() => onRemove(i.key)}>
              Remove
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
