import { useEffect, useId, useState, type FormEvent, type MouseEvent, type ReactNode } from 'react';
import { api, ApiError, type CreatedLink, type Link, type Me } from './api.ts';
import { navigate, usePath } from './router.ts';

const PRODUCT = 'Secure file transfer';

/** An in-app link: a real <a href> (open in a new tab works), followed without a reload. */
function AppLink({ to, children, current }: { to: string; children: ReactNode; current?: boolean }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>): void => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
      return;
    }
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={onClick} aria-current={current ? 'page' : undefined}>
      {children}
    </a>
  );
}

function Refusal({ error }: { error: unknown }) {
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}

function useLoad<T>(load: () => Promise<T>, key: string): { data: T | null; error: unknown } {
  const [state, setState] = useState<{ key: string; data: T | null; error: unknown }>({ key: '', data: null, error: null });
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ key, data, error: null }),
      (error: unknown) => live && setState({ key, data: null, error }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return state.key === key ? state : { data: null, error: null };
}

/** A day in a table cell (short enough for a phone), the full time in its tooltip. */
function Day({ iso }: { iso: string | null }) {
  if (!iso) {
    return <>—</>;
  }
  const at = new Date(iso);
  return (
    <time dateTime={iso} title={at.toLocaleString()}>
      {at.toLocaleDateString(undefined, { dateStyle: 'medium' })}
    </time>
  );
}

function formatDate(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : 'never';
}

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${String(n)} bytes` : `${v.toFixed(1)} ${units[i]!}`;
}

function LinksPage() {
  const { data, error } = useLoad(() => api.links(), 'links');
  useEffect(() => {
    document.title = `My links · ${PRODUCT}`;
  }, []);
  return (
    <>
      <h1>My links</h1>
      {error ? <Refusal error={error} /> : null}
      {data === null && !error ? <p aria-live="polite">Loading…</p> : null}
      {data !== null ? (
        <div className="table-wrap">
          <table aria-label="Links">
            <thead>
              <tr>
                <th scope="col">Link</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {data.length === 0 ? (
                <tr>
                  <td colSpan={4}>No links yet.</td>
                </tr>
              ) : (
                data.map((link) => (
                  <tr key={link.id}>
                    <td>
                      <AppLink to={`/app/links/${link.id}`}>{linkTitle(link)}</AppLink>
                    </td>
                    <td>{link.status}</td>
                    <td><Day iso={link.createdAt} /></td>
                    <td><Day iso={link.expiresAt} /></td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

function linkTitle(link: Link): string {
  const first = link.files[0]?.name ?? `${link.kind} link`;
  return link.files.length > 1 ? `${first} and ${String(link.files.length - 1)} more` : first;
}

function LinkPage({ id }: { id: string }) {
  const { data, error } = useLoad(() => api.link(id), `link:${id}`);
  useEffect(() => {
    document.title = `Link · ${PRODUCT}`;
  }, []);
  return (
    <>
      <p>
        <AppLink to="/app/links">← My links</AppLink>
      </p>
      <h1>{data ? linkTitle(data) : 'Link'}</h1>
      {error ? <Refusal error={error} /> : null}
      {data === null && !error ? <p aria-live="polite">Loading…</p> : null}
      {data ? (
        <>
          <p className="meta">
            {data.kind} link, {data.status}; created {formatDate(data.createdAt)}, expires {formatDate(data.expiresAt)}
          </p>
          <h2>Files</h2>
          <ul className="files">
            {data.files.map((f) => (
              <li key={f.id}>
                <span className="name">{f.name}</span> <span className="meta">{formatBytes(f.size)}</span>
              </li>
            ))}
          </ul>
          <div className="table-wrap">
            <table aria-label="Recipients">
              <thead>
                <tr>
                  <th scope="col">Recipient</th>
                  <th scope="col">Status</th>
                  <th scope="col">Downloaded</th>
                </tr>
              </thead>
              <tbody>
                {data.grants.map((g) => (
                  <tr key={g.id}>
                    <td>{g.recipient ?? 'Anyone with the link'}</td>
                    <td>{g.status}</td>
                    <td><Day iso={g.downloadedAt} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </>
  );
}

/** Send files: one upload of the form (multipart) to POST /api/v1/links; one link per recipient. */
function SendPage() {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<CreatedLink | null>(null);
  useEffect(() => {
    document.title = `Send · ${PRODUCT}`;
  }, []);
  const onSubmit = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault();
    const source = new FormData(e.currentTarget);
    const form = new FormData();
    const recipients = String(source.get('recipients') ?? '')
      .split(/[\s,;]+/)
      .filter((r) => r !== '');
    if (recipients.length > 0) {
      form.append('recipients', recipients.join(','));
    }
    for (const file of source.getAll('files')) {
      if (file instanceof File && file.name !== '') {
        form.append('file', file, file.name);
      }
    }
    setBusy(true);
    setError(null);
    api.send(form).then(
      (answer) => {
        setCreated(answer);
        setBusy(false);
      },
      (err: unknown) => {
        setError(err);
        setBusy(false);
      },
    );
  };
  return (
    <>
      <h1>Send</h1>
      <form onSubmit={onSubmit} aria-describedby={error ? `${id}-error` : undefined}>
        <label htmlFor={`${id}-files`}>Files</label>
        <input id={`${id}-files`} name="files" type="file" multiple required />
        <label htmlFor={`${id}-recipients`}>Recipients</label>
        <textarea id={`${id}-recipients`} name="recipients" rows={3} aria-describedby={`${id}-recipients-hint`} />
        <p id={`${id}-recipients-hint`} className="meta">
          Email addresses, separated by commas or new lines. Leave empty for one link to pass on yourself.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Send'}
        </button>
      </form>
      <div aria-live="polite">
        {error ? (
          <div id={`${id}-error`}>
            <Refusal error={error} />
          </div>
        ) : null}
        {created ? (
          <section aria-labelledby={`${id}-done`}>
            <h2 id={`${id}-done`}>Sent</h2>
            {created.grants.map((g, i) => (
              <div key={g.url}>
                <label htmlFor={`${id}-link-${String(i)}`}>{`Link for ${g.recipient ?? 'anyone with it'}`}</label>
                <input id={`${id}-link-${String(i)}`} type="text" readOnly value={g.url} />
              </div>
            ))}
            <p>
              <AppLink to={`/app/links/${created.id}`}>Open the link's page</AppLink>
            </p>
          </section>
        ) : null}
      </div>
    </>
  );
}

function Placeholder({ title }: { title: string }) {
  return (
    <>
      <h1>{title}</h1>
      <p>This page is not available in the app yet.</p>
    </>
  );
}

function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is no such page. Go to <AppLink to="/app/links">My links</AppLink>.
      </p>
    </>
  );
}

function Page({ path }: { path: string }) {
  const link = /^\/app\/links\/([0-9a-f-]{36})\/?$/i.exec(path);
  if (link) {
    return <LinkPage id={link[1]!} />;
  }
  switch (path.replace(/\/+$/, '')) {
    case '/app':
    case '/app/links':
      return <LinksPage />;
    case '/app/send':
      return <SendPage />;
    case '/app/settings':
      return <Placeholder title="Settings" />;
    default:
      return <NotFound />;
  }
}

export function App() {
  const path = usePath();
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.me().then(setMe, (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) {
        window.location.assign(`/auth/login?returnTo=${encodeURIComponent(window.location.pathname)}`);
        return;
      }
      setError(e);
    });
  }, []);
  const section = path.startsWith('/app/send') ? 'send' : path.startsWith('/app/settings') ? 'settings' : 'links';
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="product">{PRODUCT}</span>
        <nav aria-label="Main">
          <ul>
            <li>
              <AppLink to="/app/send" current={section === 'send'}>
                Send
              </AppLink>
            </li>
            <li>
              <AppLink to="/app/links" current={section === 'links'}>
                Links
              </AppLink>
            </li>
            <li>
              <AppLink to="/app/settings" current={section === 'settings'}>
                Settings
              </AppLink>
            </li>
          </ul>
        </nav>
        {me ? (
          <form className="user" method="post" action="/auth/logout">
            <span>{me.user}</span>
            <input type="hidden" name="_csrf" value={me.csrfToken ?? ''} />
            <button type="submit">Sign out</button>
          </form>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        {error ? <Refusal error={error} /> : me ? <Page path={path} /> : <p aria-live="polite">Loading…</p>}
      </main>
    </>
  );
}
