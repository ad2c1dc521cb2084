import { useEffect, useState } from 'react';
import { navigate } from '../../router.ts';

/** The page's query string (?q=&status=), kept in the address so that a reload or a shared URL shows the same list. */
export function useSearch(): [URLSearchParams, (next: Record<string, string>) => void] {
  const [search, setSearch] = useState(window.location.search);
  useEffect(() => {
    const onPop = (): void => setSearch(window.location.search);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const update = (next: Record<string, string>): void => {
    const params = new URLSearchParams(Object.entries(next).filter(([, v]) => v !== ''));
    const query = params.toString();
    navigate(`${window.location.pathname}${query ? `?${query}` : ''}`);
  };
  return [new URLSearchParams(search), update];
}
