import type { Link } from '../api/links.ts';

/** A link named by its first file ("a.pdf and 2 more"), a share by what it points at. */
export function linkTitle(link: Pick<Link, 'files' | 'kind' | 'path'>): string {
  if (link.files.length === 0 && link.path) {
    return link.path.split('/').filter(Boolean).pop() ?? link.path;
  }
  const first = link.files[0]?.name ?? `${link.kind} link`;
  return link.files.length > 1 ? `${first} and ${String(link.files.length - 1)} more` : first;
}
