import type { MouseEvent, ReactNode } from 'react';
import { navigate } from '../router.ts';

/** An in-app link: a real <a href> (open in a new tab works), followed without a reload. */
export function AppLink({ to, children, current, className }: { to: string; children: ReactNode; current?: boolean; className?: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>): void => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
      return;
    }
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={onClick} aria-current={current ? 'page' : undefined} className={className}>
      {children}
    </a>
  );
}
