import type { Link } from '../../api/links.ts';
import { When } from '../../ui/format.tsx';
import { linkStatusLabel } from './labels.ts';

/** The options the link was created with, and its state. */
export function LinkOptions({ link }: { link: Link }) {
  const limit = link.oneTime ? 'One download per recipient' : link.maxDownloads === null ? 'Unlimited' : `${String(link.maxDownloads)} per recipient`;
  return (
    <dl className="options">
      <dt>Status</dt>
      <dd>{linkStatusLabel(link.status)}</dd>
      <dt>Kind</dt>
      <dd>{link.kind === 'share' ? `Share of ${link.path ?? 'a file'}` : 'Send (uploaded copies)'}</dd>
      <dt>Created</dt>
      <dd><When iso={link.createdAt} /></dd>
      <dt>Expires</dt>
      <dd><When iso={link.expiresAt} never="Never" /></dd>
      <dt>One-time</dt>
      <dd>{link.oneTime ? 'Yes' : 'No'}</dd>
      <dt>Download limit</dt>
      <dd>{limit}</dd>
      <dt>Password protected</dt>
      <dd>{link.passwordProtected ? 'Yes' : 'No'}</dd>
      <dt>Email verification</dt>
      <dd>{link.requireEmailVerification ? 'Required' : 'Not required'}</dd>
      <dt>Message</dt>
      <dd className="message">{link.message ?? 'None'}</dd>
    </dl>
  );
}
