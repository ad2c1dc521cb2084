import type { Locator } from 'playwright-core';

type Styled = { getComputedStyle(e: unknown): { backgroundColor: string; color: string } };

/** The computed colour (`rgb(…)`) of an element in the browser, as the person sees it. */
export const styleOf = (loc: Locator, prop: 'backgroundColor' | 'color'): Promise<string> =>
  loc.evaluate((el, p) => (globalThis as unknown as Styled).getComputedStyle(el)[p], prop);
