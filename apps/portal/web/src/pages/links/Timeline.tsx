import { useId } from 'react';
import type { Delivery, LinkActivity } from '../../api/links.ts';
import { deliveryTextOf, When } from '../../ui/format.tsx';
import { activityLabel } from './labels.ts';

/** What happened to one recipient (or to the link as a whole), oldest first, with time, IP and verified email. */
export function Timeline({ title, events, delivery }: { title: string; events: readonly LinkActivity[]; delivery: Delivery | null }) {
  const id = useId();
  return (
    <section className="timeline" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      {delivery && deliveryTextOf(delivery) ? <p className="meta">{deliveryTextOf(delivery)}</p> : null}
      {events.length === 0 ? (
        <p className="meta">Nothing yet.</p>
      ) : (
        <ol>
          {events.map((e, i) => (
            <li key={`${e.at}-${String(i)}`}>
              <span className="what">{activityLabel(e.type, delivery)}</span> <When iso={e.at} />
              <span className="detail">{e.detail}</span>
              {e.ip || e.email ? (
                <span className="meta where">
                  {e.ip ? `IP ${e.ip}` : null}
                  {e.ip && e.email ? ' · ' : null}
                  {e.email ? `verified email ${e.email}` : null}
                </span>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
