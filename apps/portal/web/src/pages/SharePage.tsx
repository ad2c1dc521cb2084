import { usePageTitle } from '../ui/usePageTitle.ts';

/** Share a file or folder of a storage connection. */
export function SharePage() {
  usePageTitle('Share');
  return (
    <>
      <h1>Share</h1>
      <p>This page is not available in the app yet.</p>
    </>
  );
}
