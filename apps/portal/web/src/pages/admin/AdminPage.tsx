import { useMe } from '../../ui/me-context.ts';
import { AppLink } from '../../ui/AppLink.tsx';
import { usePageTitle } from '../../ui/usePageTitle.ts';
import { AllLinksPage } from './AllLinksPage.tsx';
import { BrandingPage } from './BrandingPage.tsx';
import { ConnectionsPage } from './ConnectionsPage.tsx';
import { DropFoldersPage } from './DropFoldersPage.tsx';
import { EmailTemplatesPage } from './EmailTemplatesPage.tsx';
import { MailQueuePage } from './MailQueuePage.tsx';
import { PolicyPage } from './PolicyPage.tsx';
import { ADMIN_SECTIONS, type AdminSection } from './sections.ts';
import { TokensPage } from './TokensPage.tsx';
import { UsersPage } from './UsersPage.tsx';

function Section({ slug }: { slug: AdminSection }) {
  switch (slug) {
    case 'policy':
      return <PolicyPage />;
    case 'users':
      return <UsersPage />;
    case 'connections':
      return <ConnectionsPage />;
    case 'drop-folders':
      return <DropFoldersPage />;
    case 'links':
      return <AllLinksPage />;
    case 'tokens':
      return <TokensPage />;
    case 'mail':
      return <MailQueuePage />;
    case 'branding':
      return <BrandingPage />;
    case 'email-templates':
      return <EmailTemplatesPage />;
  }
}

function NotAnAdmin() {
  usePageTitle('Administration');
  return (
    <>
      <h1>Administration</h1>
      <p role="alert">Only administrators can use these pages. Ask an administrator if you need a setting changed.</p>
    </>
  );
}

/** The administration area's navigation, shown to admins on every page under the main one. */
export function AdminNav({ path }: { path: string }) {
  const current = adminSlugOf(path);
  return (
    <nav aria-label="Administration" className="admin-nav">
      <ul>
        {ADMIN_SECTIONS.map((s) => (
          <li key={s.slug}>
            <AppLink to={`/app/admin/${s.slug}`} current={s.slug === current}>
              {s.label}
            </AppLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

const adminSlugOf = (path: string): string | null => (/^\/app\/admin(?:\/([a-z-]+))?/.exec(path) ? (/^\/app\/admin\/([a-z-]+)/.exec(path)?.[1] ?? 'policy') : null);

/** `/app/admin/<section>[/…]`: one page of the administration area; admins only (the API refuses everyone else too). */
export function AdminPage({ path }: { path: string }) {
  const me = useMe();
  if (!me.roles.includes('admin')) {
    return <NotAnAdmin />;
  }
  const section = ADMIN_SECTIONS.find((s) => s.slug === adminSlugOf(path));
  return section ? <Section slug={section.slug} /> : <p role="alert">There is no such administration page.</p>;
}
