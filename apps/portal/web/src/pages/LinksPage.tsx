import { useId, useState, type FormEvent } from 'react';
import { linksApi } from '../api/links.ts';
import { AppLink } from '../ui/AppLink.tsx';
import { Day } from '../ui/format.tsx';
import { linkTitle } from '../ui/linkTitle.ts';
import { Refusal } from '../ui/Refusal.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { usePageTitle } from '../ui/usePageTitle.ts';
import { LINK_STATUSES, linkStatusLabel } from './links/labels.ts';
import { useSearch } from './links/useSearch.ts';
import './links/links.css';

const PAGE = 25;

export function LinksPage() {
  usePageTitle('My links');
  const [params, setParams] = useSearch();
  const q = params.get('q') ?? '';
  const status = params.get('status') ?? '';
  const filterKey = `${q}\u0001${status}`;
  // The cursors of the pages shown so far for this search (the first page has none), so Previous goes back.
  const [pages, setPages] = useState<{ key: string; cursors: string[] }>({ key: filterKey, cursors: [] });
  const cursors = pages.key === filterKey ? pages.cursors : [];
  const cursor = cursors[cursors.length - 1];
  const { data, error } = useLoad(() => linksApi.list({ q, status, cursor, limit: PAGE }), `links:${filterKey}:${cursor ?? ''}`);
  const filtered = q !== '' || status !== '';

  return (
    <>
      <h1>My links</h1>
      <SearchForm key={filterKey} q={q} status={status} onSearch={(next) => setParams(next)} />
      {error ? <Refusal error={error} /> : null}
      {data === null && !error ? <p aria-live="polite">Loading…</p> : null}
      {data !== null ? (
        <>
          <p className="meta" aria-live="polite">
            {data.links.length === 0 ? '' : `Page ${String(cursors.length + 1)}: ${String(data.links.length)} link${data.links.length === 1 ? '' : 's'}${filtered ? ' matching' : ''}.`}
          </p>
          <div className="table-wrap">
            <table aria-label="Links" className="links">
              <thead>
                <tr>
                  <th scope="col">Link</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col" className="wide-only">Expires</th>
                </tr>
              </thead>
              <tbody>
                {data.links.length === 0 ? (
                  <tr>
                    <td colSpan={4}>{filtered ? 'No links match this search.' : 'No links yet.'}</td>
                  </tr>
                ) : (
                  data.links.map((link) => (
                    <tr key={link.id}>
                      <td className="title">
                        <AppLink to={`/app/links/${link.id}`}>{linkTitle(link)}</AppLink>
                        <span className="meta sub">{recipientsOf(link.grants)}</span>
                      </td>
                      <td>{linkStatusLabel(link.status)}</td>
                      <td><Day iso={link.createdAt} /></td>
                      <td className="wide-only">{link.expiresAt ? <Day iso={link.expiresAt} /> : 'Never'}</td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
          {cursors.length > 0 || data.next ? (
            <nav aria-label="Pages" className="pager">
              <button type="button" className="secondary" disabled={cursors.length === 0} onClick={() => setPages({ key: filterKey, cursors: cursors.slice(0, -1) })}>
                Previous page
              </button>
              <button type="button" className="secondary" disabled={!data.next} onClick={() => data.next && setPages({ key: filterKey, cursors: [...cursors, data.next] })}>
                Next page
              </button>
            </nav>
          ) : null}
        </>
      ) : null}
    </>
  );
}

function recipientsOf(grants: ReadonlyArray<{ recipient: string | null }>): string {
  const named = grants.map((g) => g.recipient).filter((r): r is string => r !== null);
  if (named.length === 0) {
    return 'Anyone with the link';
  }
  return named.length > 2 ? `${named.slice(0, 2).join(', ')} and ${String(named.length - 2)} more` : named.join(', ');
}

/** The search box and the status filter; applying them puts them in the address (?q=&status=). */
function SearchForm({ q, status, onSearch }: { q: string; status: string; onSearch: (next: { q: string; status: string }) => void }) {
  const id = useId();
  const [text, setText] = useState(q);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    onSearch({ q: text.trim(), status });
  };
  return (
    <form role="search" aria-label="Find links" className="link-search" onSubmit={submit}>
      <div className="field">
        <label htmlFor={`${id}-q`}>Search</label>
        <input id={`${id}-q`} type="search" value={text} maxLength={200} aria-describedby={`${id}-hint`} onChange={(e) => setText(e.currentTarget.value)} />
        <p id={`${id}-hint`} className="meta">A file name, a recipient&apos;s address or a link id.</p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-status`}>Status</label>
        <select id={`${id}-status`} value={status} onChange={(e) => onSearch({ q: text.trim(), status: e.currentTarget.value })}>
          <option value="">Any status</option>
          {LINK_STATUSES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <button type="submit">Search</button>
      </div>
    </form>
  );
}
