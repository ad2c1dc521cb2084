import { createContext, useContext } from 'react';
import type { Me } from '../api/me.ts';

/** The signed-in person, for pages that adapt to roles. Provided by App once /api/v1/me answered. */
export const MeContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) {
    throw new Error('useMe outside the signed-in app');
  }
  return me;
}
