import { useEffect, useRef, useState } from 'react';
import { sharesApi, type ConnectionEntry, type ShareSource } from '../../api/shares.ts';
import { formatBytes, When } from '../../ui/format.tsx';
import { Refusal } from '../../ui/Refusal.tsx';

/** What the person chose to share: a file or a folder of one connection. */
export interface ShareChoice {
  readonly connectionId: string;
  readonly connectionName: string;
  readonly path: string;
  readonly kind: 'file' | 'folder';
  readonly size: number | null;
}

const within = (path: string, root: string): boolean => root === '/' || path === root || path.startsWith(`${root}/`);
const segments = (path: string): string[] => path.split('/').filter((s) => s !== '');
const join = (base: string, names: readonly string[]): string => (names.length === 0 ? base : `${base === '/' ? '' : base}/${names.join('/')}`);

interface Crumb {
  readonly label: string;
  /** The folder it opens; null for the list of share roots. */
  readonly to: string | null;
}

/**
 * The crumbs from the top of what the person may share down to `location`, never above a share
 * root: the connection's name (its one root, or the list of its roots), then each folder.
 */
function crumbsOf(source: ShareSource, location: string | null): Crumb[] {
  const single = source.roots.length === 1 ? source.roots[0]! : null;
  const crumbs: Crumb[] = [{ label: source.name, to: single }];
  if (location === null) {
    return crumbs;
  }
  const root = single ?? source.roots.find((r) => within(location, r)) ?? '/';
  if (single === null) {
    crumbs.push({ label: root === '/' ? '/' : root.slice(1), to: root });
  }
  const below = segments(location).slice(segments(root).length);
  below.forEach((name, i) => crumbs.push({ label: name, to: join(root, below.slice(0, i + 1)) }));
  return crumbs;
}

/** The folder being shown: its entries so far (pages are added by "More") and the cursor of the next page. */
interface Listing {
  readonly location: string | null;
  readonly entries: readonly ConnectionEntry[];
  readonly next: string | null;
}

const rootsAsEntries = (source: ShareSource): ConnectionEntry[] => source.roots.map((r) => ({ name: r, path: r, kind: 'folder', size: 0, modifiedAt: null }));

/**
 * Browses the folders of one connection that the person may share from: a table named "Files"
 * with breadcrumbs, folders opened by their name, pages added with "More", and a "Choose" button
 * per entry (and one for the folder shown) to pick what to share.
 */
export function FolderBrowser({ source, chosen, onChoose }: { source: ShareSource; chosen: ShareChoice | null; onChoose: (choice: ShareChoice) => void }) {
  const start = source.roots.length === 1 ? source.roots[0]! : null;
  const [location, setLocation] = useState<string | null>(start);
  const [listing, setListing] = useState<Listing | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);

  useEffect(() => {
    let live = true;
    setError(null);
    if (location === null) {
      setListing({ location, entries: rootsAsEntries(source), next: null });
      return;
    }
    setBusy(true);
    sharesApi.entries(source.connectionId, location, null).then(
      (page) => {
        if (live) {
          setListing({ location, entries: page.entries, next: page.next });
          setBusy(false);
        }
      },
      (err: unknown) => {
        if (live) {
          setError(err);
          setBusy(false);
        }
      },
    );
    return () => {
      live = false;
    };
  }, [source, location]);

  useEffect(() => {
    // After the person opened a folder, reading goes on from its heading (not on the first load):
    // the button they pressed is gone with the listing it was in.
    if (moved.current) {
      heading.current?.focus();
      moved.current = false;
    }
  }, [location]);

  const open = (to: string | null): void => {
    moved.current = true;
    setLocation(to);
  };
  const more = (): void => {
    if (!listing?.next || listing.location === null) {
      return;
    }
    const { location: at, next } = listing;
    setBusy(true);
    sharesApi.entries(source.connectionId, at, next).then(
      (page) => {
        setListing((l) => (l && l.location === at ? { location: at, entries: [...l.entries, ...page.entries], next: page.next } : l));
        setBusy(false);
      },
      (err: unknown) => {
        setError(err);
        setBusy(false);
      },
    );
  };
  const choose = (entry: Pick<ConnectionEntry, 'path' | 'kind' | 'size'>): void =>
    onChoose({ connectionId: source.connectionId, connectionName: source.name, path: entry.path, kind: entry.kind, size: entry.kind === 'file' ? entry.size : null });
  const isChosen = (path: string): boolean => chosen?.connectionId === source.connectionId && chosen.path === path;

  const crumbs = crumbsOf(source, location);
  const shown = listing?.location === location ? listing : null;
  return (
    <section className="share-browser" aria-labelledby="share-browser-heading">
      <nav aria-label="Breadcrumb">
        <ol className="share-crumbs">
          {crumbs.map((c, i) =>
            i === crumbs.length - 1 ? (
              <li key={c.to ?? ''}>
                <span aria-current="location">{c.label}</span>
              </li>
            ) : (
              <li key={c.to ?? ''}>
                <button type="button" className="share-linkish" onClick={() => open(c.to)}>
                  {c.label}
                </button>
              </li>
            ),
          )}
        </ol>
      </nav>
      <div className="share-here">
        <h2 id="share-browser-heading" ref={heading} tabIndex={-1}>
          {location === null ? `Folders you may share in ${source.name}` : location}
        </h2>
        {location !== null ? (
          <button type="button" onClick={() => choose({ path: location, kind: 'folder', size: 0 })}>
            {isChosen(location) ? 'This folder is chosen' : 'Choose this folder'}
          </button>
        ) : null}
      </div>
      {error ? <Refusal error={error} /> : null}
      <p className="meta" aria-live="polite">
        {shown === null ? (busy ? 'Loading…' : '') : `${String(shown.entries.length)} ${shown.entries.length === 1 ? 'item' : 'items'}${shown.next ? ', more to load' : ''}`}
      </p>
      {shown ? (
        <>
          <table aria-label="Files" className="share-files">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Size</th>
                <th scope="col">Modified</th>
                <th scope="col">
                  <span className="visually-hidden">Choose</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.entries.length === 0 ? (
                <tr>
                  <td colSpan={5}>This folder is empty.</td>
                </tr>
              ) : null}
              {shown.entries.map((e) => (
                <tr key={e.path} className={isChosen(e.path) ? 'share-chosen' : undefined}>
                  <td data-label="Name" className="share-name">
                    {e.kind === 'folder' ? (
                      <button type="button" className="share-linkish" onClick={() => open(e.path)}>
                        {e.name}
                      </button>
                    ) : (
                      e.name
                    )}
                  </td>
                  <td data-label="Kind">{e.kind === 'folder' ? 'Folder' : 'File'}</td>
                  <td data-label="Size">{e.kind === 'folder' ? '—' : formatBytes(e.size)}</td>
                  <td data-label="Modified">
                    <When iso={e.modifiedAt} never="—" />
                  </td>
                  <td className="share-action">
                    <button type="button" className="share-secondary" onClick={() => choose(e)}>
                      {isChosen(e.path) ? 'Chosen' : 'Choose'}
                      <span className="visually-hidden"> {e.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown.next ? (
            <p>
              <button type="button" className="share-secondary" onClick={more} disabled={busy}>
                {busy ? 'Loading…' : 'More'}
              </button>
            </p>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
