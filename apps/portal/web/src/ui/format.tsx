/**
 * Times are shown in the viewer's own time zone, with the zone named ("2 Dec 2026, 10:41 UTC"), and
 * sizes in binary units.
 */
const zoned: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' };

export function formatDate(iso: string | null, never = 'never'): string {
  if (!iso) {
    return never;
  }
  const at = new Date(iso);
  return `${at.toLocaleString(undefined, zoned)} ${zoneName(at)}`;
}

/** The short name of the viewer's zone at that instant ("UTC", "CET", "GMT+1"). */
export function zoneName(at: Date): string {
  const part = new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' }).formatToParts(at).find((p) => p.type === 'timeZoneName');
  return part?.value ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** A day in a table cell (short enough for a phone), the full zoned time in its tooltip. */
export function Day({ iso }: { iso: string | null }) {
  if (!iso) {
    return <>—</>;
  }
  const at = new Date(iso);
  return (
    <time dateTime={iso} title={formatDate(iso)}>
      {at.toLocaleDateString(undefined, { dateStyle: 'medium' })}
    </time>
  );
}

/** A full zoned time, as a <time> element. */
export function When({ iso, never = 'never' }: { iso: string | null; never?: string }) {
  return iso ? <time dateTime={iso}>{formatDate(iso)}</time> : <>{never}</>;
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${String(n)} bytes` : `${v.toFixed(1)} ${units[i]!}`;
}

/** A delivery's text for a person: the instant the mail server took it in the viewer's zone, not as ISO 8601. */
export function deliveryTextOf(delivery: { status: string | null; text: string | null; deliveredAt?: string | null }): string | null {
  if (delivery.status === 'sent' && delivery.deliveredAt) {
    return `Accepted by the mail server at ${formatDate(delivery.deliveredAt)}.`;
  }
  return delivery.text;
}
