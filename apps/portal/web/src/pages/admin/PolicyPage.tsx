import { lazy, Suspense } from 'react';
import { usePageTitle } from '../../ui/usePageTitle.ts';

// The editor (with its YAML parser) is loaded only by administrators who open this page.
const PolicyEditor = lazy(() => import('./policy/PolicyEditor.tsx'));

/** Administration: the organisation policy (admins only): form and YAML, dry run, conditional save, version history. */
export function PolicyPage() {
  usePageTitle('Policy');
  return (
    <Suspense
      fallback={
        <>
          <h1>Organisation policy</h1>
          <p aria-live="polite">Loading the policy…</p>
        </>
      }
    >
      <PolicyEditor />
    </Suspense>
  );
}
