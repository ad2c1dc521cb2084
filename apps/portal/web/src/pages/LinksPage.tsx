import { usePageTitle } from '../ui/usePageTitle.ts';
import { LinksList } from './links/LinksList.tsx';

/** My links: the signed-in person's links, searched and filtered. */
export function LinksPage() {
  usePageTitle('My links');
  return (
    <>
      <h1>My links</h1>
      <LinksList />
    </>
  );
}
