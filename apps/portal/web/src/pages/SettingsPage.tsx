import { useRef, useState } from 'react';
import { tokensApi, type ApiToken, type CreatedToken } from '../api/tokens.ts';
import { Refusal } from '../ui/Refusal.tsx';
import { useMe } from '../ui/me-context.ts';
import { useLoad } from '../ui/useLoad.ts';
import { usePageTitle } from '../ui/usePageTitle.ts';
import { AppPasswordsSection } from './settings/AppPasswordsSection.tsx';
import { NewTokenBox } from './settings/NewTokenBox.tsx';
import { SshKeysSection } from './settings/SshKeysSection.tsx';
import { ConfirmDialog } from '../ui/ConfirmDialog.tsx';
import { TokenForm } from './settings/TokenForm.tsx';
import { TokensTable } from './settings/TokensTable.tsx';
import './settings/settings.css';

/** My settings: API tokens (created with scopes and an expiry, shown once, listed, revoked), and SSH keys and app passwords for SFTP. */
export function SettingsPage() {
  usePageTitle('Settings');
  const me = useMe();
  const tokens = useLoad(() => tokensApi.list(), 'tokens');
  const scopes = useLoad(() => tokensApi.scopes(), 'token-scopes');
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [revoked, setRevoked] = useState<string | null>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);
  const live = tokens.data?.filter((t) => t.revokedAt === null) ?? null;
  return (
    <>
      <h1>Settings</h1>
      <section aria-labelledby="api-tokens-title">
        <h2 id="api-tokens-title">API tokens</h2>
        <p>
          A token lets a script or another program use the gateway's API as you: send files, list and revoke your links. Give each program its own token,
          with only the scopes it needs, and revoke it when it is no longer used.
        </p>
        {created ? <NewTokenBox token={created} onDone={() => setCreated(null)} /> : null}
        {scopes.error ? <Refusal error={scopes.error} /> : null}
        {scopes.data ? (
          <TokenForm
            scopes={scopes.data}
            onCreated={(t) => {
              setRevoked(null);
              setCreated(t);
              tokens.reload();
            }}
          />
        ) : null}
        <h3 ref={listHeading} tabIndex={-1}>
          Your tokens
        </h3>
        <p className="meta" role="status">
          {revoked ? `The token “${revoked}” is revoked.` : ''}
        </p>
        {tokens.error ? <Refusal error={tokens.error} /> : null}
        {live === null && !tokens.error ? <p aria-live="polite">Loading…</p> : null}
        {live !== null ? (
          <div className="table-wrap">
            <TokensTable tokens={live} onRevoke={setRevoking} />
          </div>
        ) : null}
      </section>
      <SshKeysSection username={me.user} />
      <AppPasswordsSection username={me.user} />
      {revoking ? (
        <ConfirmDialog
          title={`Revoke the token “${revoking.name}”?`}
          action="Revoke"
          onConfirm={() => tokensApi.revoke(revoking.id)}
          onClose={() => setRevoking(null)}
          onDone={() => {
            setRevoked(revoking.name);
            tokens.reload();
            // The row and its button are gone: the list's heading takes the focus.
            listHeading.current?.focus();
          }}
        >
          <p>Scripts that use it are refused from now on. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
