import { useEffect, useState } from 'react';

/** Loads once per key; `reload()` loads again without clearing what is shown (for polling). */
export function useLoad<T>(load: () => Promise<T>, key: string): { data: T | null; error: unknown; reload: () => void } {
  const [state, setState] = useState<{ key: string; data: T | null; error: unknown }>({ key: '', data: null, error: null });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ key, data, error: null }),
      (error: unknown) => live && setState((s) => ({ key, data: s.key === key ? s.data : null, error })),
    );
    return () => {
      live = false;
    };
  }, [key, generation]);
  const reload = (): void => setGeneration((g) => g + 1);
  return state.key === key ? { ...state, reload } : { data: null, error: null, reload };
}
