import { AppLink } from '../ui/AppLink.tsx';
import { usePageTitle } from '../ui/usePageTitle.ts';

export function NotFound() {
  usePageTitle('Page not found');
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is no such page. Go to <AppLink to="/app/links">My links</AppLink>.
      </p>
    </>
  );
}
