import { useEffect, useId, useRef, useState } from 'react';
import { deliveriesOf, type CreatedSendLink, type GrantDelivery } from '../../api/uploads.ts';
import { AppLink } from '../../ui/AppLink.tsx';
import { CopyField } from '../../ui/CopyField.tsx';
import { deliveryTextOf, When } from '../../ui/format.tsx';
import { QrCode } from './QrCode.tsx';

/** How often the invitations' delivery is asked again while one is still queued. */
const REFRESH_MS = [1000, 2000, 3000, 5000, 8000];

/** Each recipient's link, a Copy button and a QR code, and whether the invitation email left. */
export function SentLinks({ created }: { created: CreatedSendLink }) {
  const id = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const [deliveries, setDeliveries] = useState<GrantDelivery[]>([]);

  useEffect(() => heading.current?.focus(), [created.id]);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = (attempt: number): void => {
      deliveriesOf(created.id).then(
        (list) => {
          if (!live) {
            return;
          }
          setDeliveries(list);
          if (list.some((g) => g.delivery.status === 'queued') && attempt < REFRESH_MS.length) {
            timer = setTimeout(() => poll(attempt + 1), REFRESH_MS[attempt]);
          }
        },
        () => undefined,
      );
    };
    poll(0);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [created.id]);

  return (
    <section className="sent" aria-labelledby={`${id}-done`}>
      <h2 id={`${id}-done`} ref={heading} tabIndex={-1}>
        {created.grants.length === 1 ? 'Sent: one link' : `Sent: ${String(created.grants.length)} links`}
      </h2>
      <p className="meta">{created.expiresAt ? <>Works until <When iso={created.expiresAt} />.</> : 'Never expires.'}</p>
      {created.password ? (
        <div className="generated">
          <label htmlFor={`${id}-password`}>Generated password (shown only now)</label>
          <input id={`${id}-password`} type="text" readOnly value={created.password} />
        </div>
      ) : null}
      <ul className="sent-list">
        {created.grants.map((g) => {
          const name = `Link for ${g.recipient ?? 'anyone with it'}`;
          const delivery = deliveries.find((d) => d.id === g.id)?.delivery;
          return (
            <li key={g.id} className="sent-link">
              <div className="sent-text">
                <CopyField label={name} value={g.url} copyName={`${name.charAt(0).toLowerCase()}${name.slice(1)}`} />
                {g.recipient ? <p className="meta">{`Invitation email: ${(delivery ? deliveryTextOf(delivery) : null) ?? (delivery ? 'not sent (you chose to pass the link on yourself).' : 'checking…')}`}</p> : null}
              </div>
              <QrCode text={g.url} label={`QR code of the ${name.charAt(0).toLowerCase()}${name.slice(1)}`} />
            </li>
          );
        })}
      </ul>
      <p>
        <AppLink to={`/app/links/${created.id}`}>Open the link's page</AppLink>
      </p>
    </section>
  );
}
