import { useEffect, useRef } from 'react';

/** Calls `tick` every `ms` while the page is visible, and at once when it becomes visible again. */
export function usePolling(tick: () => void, ms: number): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') {
        latest.current();
      }
    }, ms);
    const onVisible = (): void => {
      if (document.visibilityState === 'visible') {
        latest.current();
      }
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [ms]);
}
