import { linksApi } from '../api/links.ts';
import { AppLink } from '../ui/AppLink.tsx';
import { Day, formatBytes, formatDate } from '../ui/format.tsx';
import { linkTitle } from '../ui/linkTitle.ts';
import { Refusal } from '../ui/Refusal.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { usePageTitle } from '../ui/usePageTitle.ts';

export function LinkPage({ id }: { id: string }) {
  const { data, error } = useLoad(() => linksApi.get(id), `link:${id}`);
  usePageTitle('Link');
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
