import { linksApi } from '../api/links.ts';
import { AppLink } from '../ui/AppLink.tsx';
import { Day } from '../ui/format.tsx';
import { linkTitle } from '../ui/linkTitle.ts';
import { Refusal } from '../ui/Refusal.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { usePageTitle } from '../ui/usePageTitle.ts';

export function LinksPage() {
  const { data, error } = useLoad(() => linksApi.list(), 'links');
  usePageTitle('My links');
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
