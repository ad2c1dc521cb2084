import { usePageTitle } from '../../ui/usePageTitle.ts';
import { LinksList } from '../links/LinksList.tsx';

/** Administration: every person's links, with their owners; each opens on its page, where an admin may revoke it. */
export function AllLinksPage() {
  usePageTitle('All links');
  return (
    <>
      <h1>All links</h1>
      <p>Every link of every person, newest first. Open a link to see its recipients and activity, or to revoke it.</p>
      <LinksList everyone />
    </>
  );
}
