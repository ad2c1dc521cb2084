import { usePageTitle } from '../ui/usePageTitle.ts';

/** My settings: API tokens. */
export function SettingsPage() {
  usePageTitle('Settings');
  return (
    <>
      <h1>Settings</h1>
      <p>This page is not available in the app yet.</p>
    </>
  );
}
