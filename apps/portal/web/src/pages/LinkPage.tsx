import { useId, useState } from 'react';
import { linksApi, type Link, type LinkActivity, type LinkGrant, type ResentInvitation } from '../api/links.ts';
import { AppLink } from '../ui/AppLink.tsx';
import { formatBytes } from '../ui/format.tsx';
import { linkTitle } from '../ui/linkTitle.ts';
import { Refusal } from '../ui/Refusal.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { usePageTitle } from '../ui/usePageTitle.ts';
import { ConfirmDialog } from '../ui/ConfirmDialog.tsx';
import { useMe } from '../ui/me-context.ts';
import { LinkOptions } from './links/LinkOptions.tsx';
import { RecipientsTable } from './links/RecipientsTable.tsx';
import { Timeline } from './links/Timeline.tsx';
import { usePolling } from './links/usePolling.ts';
import './links/links.css';

/** How often the open page asks again, so a sender watches a download happen. */
const POLL_MS = 3000;

type Confirming = { readonly kind: 'link' } | { readonly kind: 'grant'; readonly grant: LinkGrant } | null;
type Notice = { readonly kind: 'done'; readonly text: string } | { readonly kind: 'resent'; readonly resent: ResentInvitation } | { readonly kind: 'refused'; readonly error: unknown } | null;

export function LinkPage({ id }: { id: string }) {
  const { data, error, reload } = useLoad(async () => {
    const [link, activity] = await Promise.all([linksApi.get(id), linksApi.activity(id)]);
    return { link, activity };
  }, `link:${id}`);
  usePolling(reload, POLL_MS);
  usePageTitle(data ? `Link: ${linkTitle(data.link)}` : 'Link');
  const [confirming, setConfirming] = useState<Confirming>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const me = useMe();
  // An administrator looking at someone else's link came from All links, and is told whose it is.
  const othersLink = data !== null && data.link.owner !== me.user;

  const resend = (g: LinkGrant): void => {
    setBusy(g.id);
    setNotice(null);
    linksApi.resend(id, g.id).then(
      (resent) => {
        setBusy(null);
        setNotice({ kind: 'resent', resent });
        reload();
      },
      (e: unknown) => {
        setBusy(null);
        setNotice({ kind: 'refused', error: e });
      },
    );
  };

  return (
    <>
      <p>{othersLink ? <AppLink to="/app/admin/links">← All links</AppLink> : <AppLink to="/app/links">← My links</AppLink>}</p>
      <h1 className="link-title">{data ? linkTitle(data.link) : 'Link'}</h1>
      {othersLink ? <p className="meta">A link of {data.link.owner}.</p> : null}
      {error ? <Refusal error={error} /> : null}
      {data === null && !error ? <p aria-live="polite">Loading…</p> : null}
      {data ? (
        <>
          <div className="link-head">
            <LinkOptions link={data.link} />
            {data.link.canRevoke ? (
              <p>
                <button type="button" className="danger" onClick={() => setConfirming({ kind: 'link' })}>
                  Revoke link
                </button>
              </p>
            ) : null}
          </div>
          <Files link={data.link} />
          <h2>Recipients</h2>
          <div aria-live="polite">
            {notice?.kind === 'done' ? <p className="ok">{notice.text}</p> : null}
            {notice?.kind === 'resent' ? <Resent resent={notice.resent} /> : null}
          </div>
          {notice?.kind === 'refused' ? <Refusal error={notice.error} /> : null}
          <RecipientsTable grants={data.link.grants} busy={busy} onResend={resend} onRevoke={(grant) => setConfirming({ kind: 'grant', grant })} />
          <p className="meta">This page updates by itself while it is open.</p>
          <Activity link={data.link} activity={data.activity} />
        </>
      ) : null}
      {confirming?.kind === 'link' ? (
        <ConfirmDialog
          title="Revoke this link?"
          action="Revoke link"
          onClose={() => setConfirming(null)}
          onConfirm={async () => {
            await linksApi.revoke(id);
            setNotice({ kind: 'done', text: 'The link is revoked: no recipient can open it any more.' });
            reload();
          }}
        >
          <p>Every recipient loses access at once{data?.link.kind === 'send' ? ', and the stored copies of the files are deleted' : ''}. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
      {confirming?.kind === 'grant' ? (
        <ConfirmDialog
          title={`Revoke access for ${confirming.grant.recipient ?? 'anyone with the link'}?`}
          action="Revoke"
          onClose={() => setConfirming(null)}
          onConfirm={async () => {
            await linksApi.revokeGrant(id, confirming.grant.id);
            setNotice({ kind: 'done', text: `${confirming.grant.recipient ?? 'The anonymous link'} can no longer open the link.` });
            reload();
          }}
        >
          <p>Their address stops working at once; other recipients keep theirs. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function Files({ link }: { link: Link }) {
  if (link.files.length === 0) {
    return null;
  }
  return (
    <>
      <h2>Files</h2>
      <ul className="files">
        {link.files.map((f) => (
          <li key={f.id}>
            <span className="name">{f.name}</span> <span className="meta">{formatBytes(f.size)}</span>
          </li>
        ))}
      </ul>
    </>
  );
}

function Resent({ resent }: { resent: ResentInvitation }) {
  const id = useId();
  return (
    <div className="ok">
      <p>A new invitation to {resent.recipient} is on its way; the previous address no longer works.</p>
      <label htmlFor={id}>New link for {resent.recipient}</label>
      <input id={id} type="text" readOnly value={resent.url} onFocus={(e) => e.currentTarget.select()} />
    </div>
  );
}

function Activity({ link, activity }: { link: Link; activity: readonly LinkActivity[] }) {
  const ofLink = activity.filter((e) => e.grantId === null);
  return (
    <>
      <h2>Activity</h2>
      {link.grants.map((g) => (
        <Timeline key={g.id} title={g.recipient ?? 'Anyone with the link'} delivery={g.delivery} events={activity.filter((e) => e.grantId === g.id)} />
      ))}
      <Timeline title="The link" delivery={null} events={ofLink} />
    </>
  );
}
