import { useId, useState } from 'react';
import { mailApi, type MailMessage, type MailStatus } from '../../api/mail.ts';
import { AppLink } from '../../ui/AppLink.tsx';
import { DataTable } from '../../ui/DataTable.tsx';
import { When } from '../../ui/format.tsx';
import { Refusal } from '../../ui/Refusal.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { usePageTitle } from '../../ui/usePageTitle.ts';
import { useSearch } from '../links/useSearch.ts';
import './mail-queue.css';

const PAGE = 50;

const STATUSES: ReadonlyArray<{ readonly value: MailStatus; readonly label: string }> = [
  { value: 'queued', label: 'Waiting' },
  { value: 'sending', label: 'Sending' },
  { value: 'sent', label: 'Sent' },
  { value: 'failed', label: 'Failed' },
  { value: 'suppressed', label: 'Withheld' },
  { value: 'withdrawn', label: 'Withdrawn' },
];

const TEMPLATES: Readonly<Record<string, string>> = {
  'recipient-invitation': 'Invitation',
  'verification-code': 'Verification code',
  'download-notification': 'Download notice',
  'expired-unused': 'Expired unused notice',
};

const statusLabel = (s: string): string => STATUSES.find((x) => x.value === s)?.label ?? s;
const isStatus = (s: string): s is MailStatus => STATUSES.some((x) => x.value === s);

function StatusCell({ m }: { m: MailMessage }) {
  return (
    <>
      {statusLabel(m.status)}
      {m.status === 'queued' && m.nextAttemptAt ? (
        <span className="meta sub">
          Next attempt <When iso={m.nextAttemptAt} />
        </span>
      ) : null}
      {m.status === 'suppressed' ? <span className="meta sub">Recorded, never sent (the address may not open the link)</span> : null}
      {m.status === 'withdrawn' ? <span className="meta sub">{m.sentAt ? 'Replaced by a new invitation as the mail server took it: it went out' : 'Replaced by a new invitation while it was being sent: not sent'}</span> : null}
    </>
  );
}

/**
 * Administration: the outgoing mail queue, newest first: to whom, which email, where it stands, how
 * many attempts and the last error; filtered by status, with "More" for older messages. Message
 * content (link addresses, codes) is never shown.
 */
export function MailQueuePage() {
  usePageTitle('Mail queue');
  const id = useId();
  const [params, setParams] = useSearch();
  const raw = params.get('status') ?? '';
  const status = isStatus(raw) ? raw : '';
  const [generation, setGeneration] = useState(0);
  const key = `mail:${status}:${String(generation)}`;
  const first = useLoad(() => mailApi.messages({ status, limit: PAGE }), key);
  const [older, setOlder] = useState<{ key: string; messages: MailMessage[]; last: number; busy: boolean; error: unknown }>({ key, messages: [], last: PAGE, busy: false, error: null });
  const more = older.key === key ? older : { key, messages: [], last: PAGE, busy: false, error: null };
  const rows = first.data ? [...first.data, ...more.messages] : null;
  const lastBatch = more.messages.length > 0 ? more.last : (first.data?.length ?? 0);
  const loadMore = (): void => {
    const before = rows?.[rows.length - 1]?.id;
    if (!before) {
      return;
    }
    setOlder({ ...more, busy: true, error: null });
    mailApi.messages({ status, before, limit: PAGE }).then(
      (page) => setOlder((o) => (o.key === key ? { key, messages: [...o.messages, ...page], last: page.length, busy: false, error: null } : o)),
      (err: unknown) => setOlder((o) => (o.key === key ? { ...o, busy: false, error: err } : o)),
    );
  };

  return (
    <>
      <h1>Mail queue</h1>
      <p>
        Every email the gateway sends (invitations, verification codes, notices), newest first: where it stands, how many attempts it took and why it
        failed. Their content, which holds link addresses and codes, is never shown.
      </p>
      <form className="mail-filters" role="search" aria-label="Filter the mail queue" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={`${id}-status`}>Status</label>
          <select id={`${id}-status`} value={status} onChange={(e) => setParams({ status: e.currentTarget.value })}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="secondary" onClick={() => setGeneration((g) => g + 1)}>
          Refresh
        </button>
      </form>
      {first.error ? <Refusal error={first.error} /> : null}
      {rows === null && !first.error ? <p aria-live="polite">Loading the mail queue…</p> : null}
      {rows !== null ? (
        <>
          <p className="meta" aria-live="polite">
            {rows.length === 0 ? '' : `${String(rows.length)} message${rows.length === 1 ? '' : 's'} shown${status ? ` (${statusLabel(status).toLowerCase()})` : ''}${lastBatch === PAGE ? '; older ones with More' : ''}.`}
          </p>
          <div className="table-wrap">
            <DataTable
              label="Mail queue"
              rows={rows}
              rowKey={(m) => m.id}
              empty={status ? `No messages ${statusLabel(status).toLowerCase()}.` : 'No messages yet.'}
              columns={[
                { header: 'To', className: 'to', cell: (m) => m.to },
                { header: 'Email', cell: (m) => TEMPLATES[m.template] ?? m.template },
                { header: 'Status', cell: (m) => <StatusCell m={m} /> },
                { header: 'Attempts', cell: (m) => String(m.attempts) },
                { header: 'Last error', className: 'last-error', cell: (m) => m.lastError ?? '—' },
                { header: 'Created', cell: (m) => <When iso={m.createdAt} /> },
                { header: 'Sent', cell: (m) => <When iso={m.sentAt} never="—" /> },
                {
                  header: 'Link',
                  cell: (m) =>
                    m.linkId ? (
                      <AppLink to={`/app/links/${m.linkId}`}>
                        Open<span className="visually-hidden"> the link of the email to {m.to}</span>
                      </AppLink>
                    ) : (
                      '—'
                    ),
                },
              ]}
            />
          </div>
          {more.error ? <Refusal error={more.error} /> : null}
          {lastBatch === PAGE ? (
            <p>
              <button type="button" className="secondary" onClick={loadMore} disabled={more.busy}>
                {more.busy ? 'Loading…' : 'More'}
              </button>
            </p>
          ) : null}
        </>
      ) : null}
    </>
  );
}
