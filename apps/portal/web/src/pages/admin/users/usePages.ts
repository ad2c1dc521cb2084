import { useEffect, useState } from 'react';

interface PagesState<T> {
  readonly key: string;
  readonly items: readonly T[] | null;
  readonly next: string | null;
  readonly loading: boolean;
  readonly error: unknown;
}

/**
 * A list loaded a page at a time: the first page for each key (a search), and `more()` appends the
 * next one (the API's X-Next-Cursor). `update` changes rows in place (after an edit answered the new row).
 */
export function usePages<T>(
  load: (cursor: string | undefined) => Promise<{ items: T[]; next: string | null }>,
  key: string,
): { items: readonly T[] | null; next: string | null; loading: boolean; error: unknown; more: () => void; update: (change: (items: readonly T[]) => readonly T[]) => void; reload: () => void } {
  const [state, setState] = useState<PagesState<T>>({ key: '', items: null, next: null, loading: true, error: null });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let live = true;
    setState({ key, items: null, next: null, loading: true, error: null });
    load(undefined).then(
      (page) => live && setState({ key, items: page.items, next: page.next, loading: false, error: null }),
      (error: unknown) => live && setState({ key, items: null, next: null, loading: false, error }),
    );
    return () => {
      live = false;
    };
  }, [key, generation]);
  const current = state.key === key ? state : { key, items: null, next: null, loading: true, error: null };
  const more = (): void => {
    if (!current.next || current.loading) {
      return;
    }
    setState({ ...current, loading: true, error: null });
    load(current.next).then(
      (page) => setState((s) => (s.key === key ? { key, items: [...(s.items ?? []), ...page.items], next: page.next, loading: false, error: null } : s)),
      (error: unknown) => setState((s) => (s.key === key ? { ...s, loading: false, error } : s)),
    );
  };
  const update = (change: (items: readonly T[]) => readonly T[]): void => setState((s) => (s.items ? { ...s, items: change(s.items) } : s));
  return { items: current.items, next: current.next, loading: current.loading, error: current.error, more, update, reload: () => setGeneration((g) => g + 1) };
}
