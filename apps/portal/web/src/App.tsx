import { useCallback, useEffect, useState } from 'react';
import { loadPublicBrand, type PublicBrand } from './api/branding.ts';
import { ApiError } from './api/client.ts';
import { loadMe, type Me } from './api/me.ts';
import { LinkPage } from './pages/LinkPage.tsx';
import { LinksPage } from './pages/LinksPage.tsx';
import { NotFound } from './pages/NotFound.tsx';
import { SendPage } from './pages/SendPage.tsx';
import { SettingsPage } from './pages/SettingsPage.tsx';
import { SharePage } from './pages/SharePage.tsx';
import { AdminNav, AdminPage } from './pages/admin/AdminPage.tsx';
import { usePath } from './router.ts';
import { AppLink } from './ui/AppLink.tsx';
import { MeContext } from './ui/me-context.ts';
import { Refusal } from './ui/Refusal.tsx';
import { BrandContext } from './ui/brand-context.ts';

function Page({ path }: { path: string }) {
  const link = /^\/app\/links\/([0-9a-f-]{36})\/?$/i.exec(path);
  if (link) {
    return <LinkPage id={link[1]!} />;
  }
  if (/^\/app\/admin(\/|$)/.test(path)) {
    return <AdminPage path={path} />;
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
  // The brand is public: a failure to read it leaves the header without a name rather than the app without pages.
  const [brand, setBrand] = useState<PublicBrand | null | undefined>(undefined);
  const refreshBrand = useCallback(() => {
    loadPublicBrand().then(setBrand, () => setBrand((b) => b ?? null));
  }, []);
  useEffect(refreshBrand, [refreshBrand]);
  useEffect(() => {
    // The head carries the brand too: its favicon, and its colours once they change (a fresh versioned stylesheet).
    if (brand) {
      document.querySelector('link[rel="icon"]')?.setAttribute('href', brand.faviconUrl);
      document.querySelector('link[rel="icon"]')?.setAttribute('type', brand.faviconUrl.endsWith('.svg') ? 'image/svg+xml' : 'image/png');
      // The new stylesheet replaces the old one once loaded: the header never loses its colour in between.
      const current = document.querySelector<HTMLLinkElement>('link[rel="stylesheet"][href^="/branding/theme.css"]');
      if (current && current.getAttribute('href') !== brand.themeUrl) {
        const next = document.createElement('link');
        next.rel = 'stylesheet';
        next.href = brand.themeUrl;
        next.addEventListener('load', () => current.remove(), { once: true });
        current.after(next);
      }
    }
  }, [brand]);
  useEffect(() => {
    loadMe().then(setMe, (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) {
        window.location.assign(`/auth/login?returnTo=${encodeURIComponent(window.location.pathname)}`);
        return;
      }
      setError(e);
    });
  }, []);
  const section = (['send', 'share', 'settings', 'admin'] as const).find((s) => path.startsWith(`/app/${s}`)) ?? 'links';
  return (
    <BrandContext.Provider value={{ brand: brand ?? null, refresh: refreshBrand }}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="product">
          {brand?.logoUrl ? <img className="logo" src={brand.logoUrl} alt="" /> : null}
          {brand?.name}
        </span>
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
      {me?.roles.includes('admin') ? <AdminNav path={path} /> : null}
      <main id="main" tabIndex={-1}>
        {error ? <Refusal error={error} /> : me && brand !== undefined ? (
          <MeContext.Provider value={me}>
            <Page path={path} />
          </MeContext.Provider>
        ) : <p aria-live="polite">Loading…</p>}
      </main>
    </BrandContext.Provider>
  );
}
