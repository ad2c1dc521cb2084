import { createContext, useContext } from 'react';
import type { PublicBrand } from '../api/branding.ts';

/** The brand, loaded by App from /branding.json before any page shows; updated after the Branding page saves. */
export const BrandContext = createContext<{ brand: PublicBrand | null; refresh: () => void }>({ brand: null, refresh: () => undefined });

export function useBrand(): PublicBrand | null {
  return useContext(BrandContext).brand;
}
