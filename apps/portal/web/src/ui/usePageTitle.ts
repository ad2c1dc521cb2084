import { useEffect } from 'react';

export const PRODUCT = 'Secure file transfer';

/** The document title of a page: "<page> · <product>". */
export function usePageTitle(page: string): void {
  useEffect(() => {
    document.title = `${page} · ${PRODUCT}`;
  }, [page]);
}
