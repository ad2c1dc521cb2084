import { useId, useRef, useState, type FormEvent } from 'react';
import { ROLES, usersApi, type ManagedUser } from '../../api/users.ts';
import { ConfirmDialog } from '../../ui/ConfirmDialog.tsx';
import { DataTable } from '../../ui/DataTable.tsx';
import { When } from '../../ui/format.tsx';
import { Refusal } from '../../ui/Refusal.tsx';
import { usePageTitle } from '../../ui/usePageTitle.ts';
import { RolesDialog } from './users/RolesDialog.tsx';
import { usePages } from './users/usePages.ts';
import './users/users.css';

const PAGE = 25;

interface Filters {
  readonly q: string;
  readonly role: string;
  readonly group: string;
  readonly disabled: string;
}

const NO_FILTERS: Filters = { q: '', role: '', group: '', disabled: '' };

const plural = (n: number, one: string, many = `${one}s`): string => `${String(n)} ${n === 1 ? one : many}`;

/** Administration: the people who use the gateway, their roles, and disabling an account (admins only). */
export function UsersPage() {
  usePageTitle('Users');
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const key = JSON.stringify(filters);
  const list = usePages(async (cursor) => {
    const page = await usersApi.list({ ...filters, cursor, limit: PAGE });
    return { items: page.users, next: page.next };
  }, key);
  const [disabling, setDisabling] = useState<ManagedUser | null>(null);
  const [editing, setEditing] = useState<ManagedUser | null>(null);
  const [status, setStatus] = useState<string>('');
  const [refusal, setRefusal] = useState<unknown>(null);
  const statusRef = useRef<HTMLParagraphElement>(null);
  const filtered = key !== JSON.stringify(NO_FILTERS);

  const replace = (user: ManagedUser): void => list.update((items) => items.map((u) => (u.id === user.id ? user : u)));
  const announce = (message: string): void => {
    setStatus(message);
    setRefusal(null);
    // The row's button changed (or the dialog closed): the message takes the focus.
    statusRef.current?.focus();
  };
  const enable = (user: ManagedUser): void => {
    setRefusal(null);
    usersApi.update(user.id, { disabled: false }).then(
      (updated) => {
        replace(updated);
        announce(`${updated.user} is enabled again. Their earlier sessions, tokens, SSH keys and app passwords stay revoked: they sign in again and make new ones.`);
      },
      (err: unknown) => setRefusal(err),
    );
  };

  return (
    <>
      <h1>Users</h1>
      <p className="meta">
        People appear here after their first sign-in through single sign-on, or when they are added with <code>mft user add</code>. The roles of single sign-on users come from their groups at the identity provider.
      </p>
      <UserSearch key={key} filters={filters} onSearch={setFilters} />
      <p className="meta users-status" role="status" tabIndex={-1} ref={statusRef}>
        {status}
      </p>
      {refusal ? <Refusal error={refusal} /> : null}
      {list.error ? <Refusal error={list.error} /> : null}
      {list.items === null && !list.error ? <p aria-live="polite">Loading…</p> : null}
      {list.items !== null ? (
        <>
          <DataTable
            label="Users"
            rows={list.items}
            rowKey={(u) => u.id}
            empty={filtered ? 'No users match this search.' : 'No users yet.'}
            columns={[
              {
                header: 'User',
                cell: (u) => (
                  <>
                    <span className="user-name">{u.displayName ?? u.user}</span>
                    <span className="meta sub">
                      {u.displayName ? u.user : null}
                      {u.displayName && u.email ? ' · ' : null}
                      {u.email}
                    </span>
                  </>
                ),
              },
              { header: 'Roles', cell: (u) => <Roles user={u} /> },
              { header: 'Groups', cell: (u) => (u.groups.length > 0 ? u.groups.join(', ') : <span className="meta">None</span>) },
              {
                header: 'State',
                cell: (u) =>
                  u.disabled ? (
                    <>
                      <strong className="state-disabled">Disabled</strong> <span className="meta sub"><When iso={u.disabledAt} /></span>
                    </>
                  ) : (
                    'Enabled'
                  ),
              },
              { header: 'Last sign-in', cell: (u) => <When iso={u.lastSignInAt} never="Never" /> },
              { header: 'Credentials', cell: (u) => credentialsOf(u) },
            ]}
            actions={(u, describedBy) => (
              <div className="user-actions">
                {u.rolesFrom === 'local' ? (
                  <button type="button" className="secondary" onClick={() => setEditing(u)} aria-describedby={describedBy}>
                    Change roles
                  </button>
                ) : null}
                {u.disabled ? (
                  <button type="button" className="secondary" onClick={() => enable(u)} aria-describedby={describedBy}>
                    Enable
                  </button>
                ) : (
                  <button type="button" className="danger-text" onClick={() => setDisabling(u)} aria-describedby={describedBy}>
                    Disable
                  </button>
                )}
              </div>
            )}
          />
          <p className="meta" aria-live="polite">
            {list.items.length > 0 ? `${plural(list.items.length, 'user')} shown${list.next ? '; more follow' : ''}.` : ''}
          </p>
          {list.next ? (
            <button type="button" className="secondary more" onClick={list.more} disabled={list.loading}>
              More
            </button>
          ) : null}
        </>
      ) : null}
      {disabling ? (
        <ConfirmDialog
          title={`Disable ${disabling.user}?`}
          action="Disable"
          onConfirm={async () => {
            const updated = await usersApi.update(disabling.id, { disabled: true });
            replace(updated);
            setStatus(`${updated.user} is disabled.`);
          }}
          onClose={() => setDisabling(null)}
          onDone={() => statusRef.current?.focus()}
        >
          <p>This ends at once, for good (enabling the account again brings none of them back):</p>
          <ul>
            <li>every browser session of {disabling.user};</li>
            <li>{plural(disabling.counts.tokens, 'API token')};</li>
            <li>{plural(disabling.counts.sshKeys, 'SSH key')} and {plural(disabling.counts.appPasswords, 'app password')}, and any open SFTP session.</li>
          </ul>
          <p>
            {disabling.rolesFrom === 'idp' ? `Signing in again through ${disabling.idp?.name ?? 'single sign-on'} is refused. ` : null}
            Their links keep working: revoke them on the All links page if they should stop too.
          </p>
        </ConfirmDialog>
      ) : null}
      {editing ? (
        <RolesDialog
          user={editing}
          onSave={async (roles) => {
            const updated = await usersApi.update(editing.id, { roles });
            replace(updated);
            setStatus(`The roles of ${updated.user} are now: ${updated.roles.join(', ')}.`);
          }}
          onClose={() => {
            setEditing(null);
            statusRef.current?.focus();
          }}
        />
      ) : null}
    </>
  );
}

function Roles({ user }: { user: ManagedUser }) {
  const roles = user.roles.length > 0 ? user.roles.join(', ') : 'none';
  if (user.rolesFrom === 'idp') {
    return (
      <>
        {roles} <span className="meta sub">from {user.idp?.name ?? 'the identity provider'}</span>
      </>
    );
  }
  return <>{roles}</>;
}

function credentialsOf(u: ManagedUser): string {
  const { tokens, sshKeys, appPasswords } = u.counts;
  if (tokens + sshKeys + appPasswords === 0) {
    return 'None';
  }
  return `${plural(tokens, 'token')}, ${plural(sshKeys, 'SSH key')}, ${plural(appPasswords, 'app password')}`;
}

/** The search box and the filters; a search starts again from the first page. */
function UserSearch({ filters, onSearch }: { filters: Filters; onSearch: (next: Filters) => void }) {
  const id = useId();
  const [q, setQ] = useState(filters.q);
  const [group, setGroup] = useState(filters.group);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    onSearch({ ...filters, q: q.trim(), group: group.trim() });
  };
  return (
    <form role="search" aria-label="Find users" className="user-search" onSubmit={submit}>
      <div className="field wide">
        <label htmlFor={`${id}-q`}>Search</label>
        <input id={`${id}-q`} type="search" value={q} maxLength={200} aria-describedby={`${id}-hint`} onChange={(e) => setQ(e.currentTarget.value)} />
        <p id={`${id}-hint`} className="meta">
          A part of a user name, email or display name.
        </p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-role`}>Role</label>
        <select id={`${id}-role`} value={filters.role} onChange={(e) => onSearch({ ...filters, q: q.trim(), group: group.trim(), role: e.currentTarget.value })}>
          <option value="">Any role</option>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-group`}>Group</label>
        <input id={`${id}-group`} type="text" value={group} maxLength={200} onChange={(e) => setGroup(e.currentTarget.value)} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-state`}>State</label>
        <select id={`${id}-state`} value={filters.disabled} onChange={(e) => onSearch({ ...filters, q: q.trim(), group: group.trim(), disabled: e.currentTarget.value })}>
          <option value="">Any state</option>
          <option value="false">Enabled</option>
          <option value="true">Disabled</option>
        </select>
      </div>
      <div className="field submit">
        <button type="submit">Search</button>
      </div>
    </form>
  );
}
