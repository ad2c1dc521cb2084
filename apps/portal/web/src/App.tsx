import { useEffect, useState } from 'react';
import { ApiError } from './api/client.ts';
import { loadMe, type Me } from './api/me.ts';
import { LinkPage } from './pages/LinkPage.tsx';
import { LinksPage } from './pages/LinksPage.tsx';
import { NotFound } from './pages/NotFound.tsx';
import { SendPage } from './pages/SendPage.tsx';
import { SettingsPage } from './pages/SettingsPage.tsx';
import { SharePage } from './pages/SharePage.tsx';
import { usePath } from './router.ts';
import { AppLink } from './ui/AppLink.tsx';
import { MeContext } from './ui/me-context.ts';
import { Refusal } from './ui/Refusal.tsx';
import { PRODUCT } from './ui/usePageTitle.ts';

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
    case '/app/share':
      return <SharePage />;
    case '/app/settings':
      return <SettingsPage />;
    default:
      return <NotFound />;
  }
}

export function App() {
  const path = usePath();
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    loadMe().then(setMe, (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) {
        window.location.assign(`/auth/login?returnTo=${encodeURIComponent(window.location.pathname)}`);
        return;
      }
      setError(e);
    });
  }, []);
  const section = (['send', 'share', 'settings'] as const).find((s) => path.startsWith(`/app/${s}`)) ?? 'links';
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
              <AppLink to="/app/share" current={section === 'share'}>
                Share
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
        {error ? <Refusal error={error} /> : me ? (
          <MeContext.Provider value={me}>
            <Page path={path} />
          </MeContext.Provider>
        ) : <p aria-live="polite">Loading…</p>}
      </main>
    </>
  );
}
