import type { Link } from '../api/links.ts';

/** A link named by its first file ("a.pdf and 2 more"). */
export function linkTitle(link: Link): string {
  const first = link.files[0]?.name ?? `${link.kind} link`;
  return link.files.length > 1 ? `${first} and ${String(link.files.length - 1)} more` : first;
}
