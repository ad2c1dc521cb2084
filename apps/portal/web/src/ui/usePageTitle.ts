import { useEffect } from 'react';
import { useBrand } from './brand-context.ts';

/** The document title of a page: "<page> · <brand name>". */
export function usePageTitle(page: string): void {
  const name = useBrand()?.name;
  useEffect(() => {
    document.title = name ? `${page} · ${name}` : page;
  }, [page, name]);
}
