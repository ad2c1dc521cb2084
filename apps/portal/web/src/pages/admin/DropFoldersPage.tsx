import { useRef, useState } from 'react';
import { dropFoldersApi, type DropFolder } from '../../api/drop-folders.ts';
import { ConfirmDialog } from '../../ui/ConfirmDialog.tsx';
import { DataTable, type Column } from '../../ui/DataTable.tsx';
import { When } from '../../ui/format.tsx';
import { Refusal } from '../../ui/Refusal.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { usePageTitle } from '../../ui/usePageTitle.ts';
import { DROP_ROLES, DropFolderForm } from './drop-folders/DropFolderForm.tsx';
import './connections/connections.css';

type Editing = { readonly kind: 'new' } | { readonly kind: 'edit'; readonly folder: DropFolder } | null;

/** The options a folder sets, in words; the others are the uploader's policy defaults. */
function optionsText(f: DropFolder): string {
  const o = f.options;
  const parts: string[] = [];
  if (o.oneTime !== undefined) {
    parts.push(o.oneTime ? 'one-time' : 'not one-time');
  }
  if (o.maxDownloads !== undefined) {
    parts.push(o.maxDownloads === 'unlimited' ? 'unlimited downloads' : `${String(o.maxDownloads)} download${o.maxDownloads === 1 ? '' : 's'} each`);
  }
  if (o.expiresAt !== undefined) {
    parts.push(o.expiresAt === 'never' ? 'never expires' : `expires ${new Date(o.expiresAt).toLocaleDateString()}`);
  }
  if (o.requireEmailVerification !== undefined) {
    parts.push(o.requireEmailVerification ? 'email verified' : 'no email check');
  }
  if (o.notify === false) {
    parts.push('recipients not emailed');
  }
  if (o.notifyOnDownload) {
    parts.push('uploader told of downloads');
  }
  if (f.passwordProtected) {
    parts.push('password');
  }
  return parts.length === 0 ? 'The policy defaults' : parts.join(', ');
}

const whoText = (f: DropFolder): string => {
  const roles = f.roles.map((r) => DROP_ROLES.find((x) => x.value === r)?.label ?? r);
  const who = [...roles, ...f.groups.map((g) => `group ${g}`)];
  return who.length === 0 ? 'Admins only' : who.join(', ');
};

const COLUMNS: ReadonlyArray<Column<DropFolder>> = [
  {
    header: 'Name',
    cell: (f) => (
      <>
        {f.name}
        <span className="meta sub mono">/drop/{f.name}/</span>
      </>
    ),
  },
  {
    header: 'Recipients',
    cell: (f) => (
      <ul className="plain">
        {f.recipients.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
    ),
  },
  { header: 'Links', cell: optionsText },
  { header: 'Who may use it', cell: whoText },
  {
    header: 'Changed',
    cell: (f) => (
      <>
        <When iso={f.updatedAt} />
        <span className="meta sub">by {f.updatedBy}</span>
      </>
    ),
  },
];

/**
 * Administration: the drop folders of the SFTP ingress. Each is a folder `/drop/<name>/` in the
 * SFTP tree of the people it names; a file put there becomes a send link to its fixed recipients,
 * with its options and message. Listed, created, edited (the password write-only) and deleted
 * after a confirmation.
 */
export function DropFoldersPage() {
  usePageTitle('Drop folders');
  const { data, error, reload } = useLoad(() => dropFoldersApi.list(), 'drop-folders');
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<DropFolder | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);

  const closeForm = (): void => {
    setEditing(null);
    // The form and the button that opened it may be gone: the list's heading takes the focus.
    setTimeout(() => listHeading.current?.focus(), 0);
  };

  return (
    <>
      <h1>Drop folders</h1>
      <p>
        Folders in the SFTP tree of the people you choose, at /drop/&lt;name&gt;/: every file put into one becomes a send link to its fixed recipients, with
        its options and message, under the uploader’s policy. Scripts find the link’s addresses in &lt;file&gt;.link.txt next to the file.
      </p>
      {error ? <Refusal error={error} /> : null}
      {data === null && !error ? <p aria-live="polite">Loading the drop folders…</p> : null}
      {data ? (
        <>
          <h2 ref={listHeading} tabIndex={-1}>
            Folders
          </h2>
          <div aria-live="polite" className="notice">
            {notice ? <p className="ok">{notice}</p> : null}
          </div>
          <div className="table-wrap connections-list">
            <DataTable
              label="Drop folders"
              columns={COLUMNS}
              rows={data}
              rowKey={(f) => f.id}
              empty="No drop folders yet. Add one to let people send files by putting them into a folder."
              actions={(f, describedBy) => (
                <>
                  <button
                    type="button"
                    className="secondary"
                    aria-describedby={describedBy}
                    onClick={() => {
                      setNotice(null);
                      setEditing({ kind: 'edit', folder: f });
                    }}
                  >
                    Edit
                  </button>
                  <button type="button" className="danger-text" aria-describedby={describedBy} onClick={() => setDeleting(f)}>
                    Delete
                  </button>
                </>
              )}
            />
          </div>
          {editing ? (
            <DropFolderForm
              key={editing.kind === 'edit' ? editing.folder.id : 'new'}
              folder={editing.kind === 'edit' ? editing.folder : null}
              onCancel={closeForm}
              onSaved={(saved) => {
                setNotice(editing.kind === 'edit' ? `The changes to “${saved.name}” are saved. Links made from it before keep their options.` : `The drop folder “${saved.name}” is created: /drop/${saved.name}/.`);
                reload();
                closeForm();
              }}
            />
          ) : (
            <p>
              <button type="button" onClick={() => setEditing({ kind: 'new' })}>
                Add a drop folder
              </button>
            </p>
          )}
        </>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete the drop folder “${deleting.name}”?`}
          action="Delete drop folder"
          onClose={() => setDeleting(null)}
          onConfirm={() => dropFoldersApi.remove(deleting.id)}
          onDone={() => {
            setNotice(`The drop folder “${deleting.name}” is deleted.`);
            if (editing?.kind === 'edit' && editing.folder.id === deleting.id) {
              setEditing(null);
            }
            reload();
            listHeading.current?.focus();
          }}
        >
          <p>
            /drop/{deleting.name}/ leaves everyone’s SFTP tree. The links already made from it keep working until they end.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
