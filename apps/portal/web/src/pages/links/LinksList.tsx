import { useId, useState, type FormEvent } from 'react';
import { linksApi, type Link } from '../../api/links.ts';
import { AppLink } from '../../ui/AppLink.tsx';
import { DataTable, type Column } from '../../ui/DataTable.tsx';
import { Day } from '../../ui/format.tsx';
import { linkTitle } from '../../ui/linkTitle.ts';
import { Refusal } from '../../ui/Refusal.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { LINK_STATUSES, linkStatusLabel } from './labels.ts';
import { useSearch } from './useSearch.ts';
import './links.css';

const PAGE = 25;

interface Filters {
  readonly q: string;
  readonly status: string;
  readonly owner: string;
}

/**
 * The table named "Links" with its search, status filter and pages, kept in the address
 * (?q=&status=&owner=). `everyone`: an administrator's view of every person's links, with an Owner
 * column and a filter by owner (the API answers every link to an admin, their own to anyone else).
 */
export function LinksList({ everyone = false }: { everyone?: boolean }) {
  const [params, setParams] = useSearch();
  const filters: Filters = { q: params.get('q') ?? '', status: params.get('status') ?? '', owner: everyone ? (params.get('owner') ?? '') : '' };
  const filterKey = `${filters.q}\u0001${filters.status}\u0001${filters.owner}`;
  // The cursors of the pages shown so far for this search (the first page has none), so Previous goes back.
  const [pages, setPages] = useState<{ key: string; cursors: string[] }>({ key: filterKey, cursors: [] });
  const cursors = pages.key === filterKey ? pages.cursors : [];
  const cursor = cursors[cursors.length - 1];
  const { data, error } = useLoad(() => linksApi.list({ ...filters, cursor, limit: PAGE }), `links:${filterKey}:${cursor ?? ''}`);
  const filtered = filters.q !== '' || filters.status !== '' || filters.owner !== '';
  const columns: Array<Column<Link>> = [
    {
      header: 'Link',
      className: 'title',
      cell: (link) => (
        <>
          <AppLink to={`/app/links/${link.id}`}>{linkTitle(link)}</AppLink>
          <span className="meta sub">{recipientsOf(link.grants)}</span>
        </>
      ),
    },
    ...(everyone ? [{ header: 'Owner', className: 'owner', cell: (link: Link) => link.owner }] : []),
    { header: 'Status', cell: (link) => linkStatusLabel(link.status) },
    { header: 'Created', cell: (link) => <Day iso={link.createdAt} /> },
    { header: 'Expires', cell: (link) => (link.expiresAt ? <Day iso={link.expiresAt} /> : 'Never') },
  ];

  return (
    <>
      <SearchForm key={filterKey} filters={filters} everyone={everyone} onSearch={(next) => setParams({ ...next })} />
      {error ? <Refusal error={error} /> : null}
      {data === null && !error ? <p aria-live="polite">Loading…</p> : null}
      {data !== null ? (
        <>
          <p className="meta" aria-live="polite">
            {data.links.length === 0 ? '' : `Page ${String(cursors.length + 1)}: ${String(data.links.length)} link${data.links.length === 1 ? '' : 's'}${filtered ? ' matching' : ''}.`}
          </p>
          <div className="table-wrap">
            <DataTable label="Links" columns={columns} rows={data.links} rowKey={(l) => l.id} empty={filtered ? 'No links match this search.' : 'No links yet.'} />
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

/** The search box, the status filter (and for admins the owner); applying them puts them in the address. */
function SearchForm({ filters, everyone, onSearch }: { filters: Filters; everyone: boolean; onSearch: (next: Filters) => void }) {
  const id = useId();
  const [text, setText] = useState(filters.q);
  const [owner, setOwner] = useState(filters.owner);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    onSearch({ q: text.trim(), status: filters.status, owner: owner.trim() });
  };
  return (
    <form role="search" aria-label="Find links" className="link-search" onSubmit={submit}>
      <div className="field">
        <label htmlFor={`${id}-q`}>Search</label>
        <input id={`${id}-q`} type="search" value={text} maxLength={200} aria-describedby={`${id}-hint`} onChange={(e) => setText(e.currentTarget.value)} />
        <p id={`${id}-hint`} className="meta">A file name, a recipient&apos;s address or a link id.</p>
      </div>
      {everyone ? (
        <div className="field owner">
          <label htmlFor={`${id}-owner`}>Owner</label>
          <input id={`${id}-owner`} type="text" value={owner} maxLength={100} autoComplete="off" spellCheck={false} aria-describedby={`${id}-owner-hint`} onChange={(e) => setOwner(e.currentTarget.value)} />
          <p id={`${id}-owner-hint`} className="meta">A username; empty for everyone.</p>
        </div>
      ) : null}
      <div className="field">
        <label htmlFor={`${id}-status`}>Status</label>
        <select id={`${id}-status`} value={filters.status} onChange={(e) => onSearch({ q: text.trim(), status: e.currentTarget.value, owner: owner.trim() })}>
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
