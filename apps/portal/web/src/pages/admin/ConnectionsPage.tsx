import { useRef, useState } from 'react';
import { ApiError } from '../../api/client.ts';
import { connectionsApi, type Connection, type ConnectionTestResult } from '../../api/connections.ts';
import { ConfirmDialog } from '../../ui/ConfirmDialog.tsx';
import { Refusal } from '../../ui/Refusal.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { usePageTitle } from '../../ui/usePageTitle.ts';
import { ConnectionForm } from './connections/ConnectionForm.tsx';
import { ConnectionsTable } from './connections/ConnectionsTable.tsx';
import { SendStorageForm } from './connections/SendStorageForm.tsx';
import './connections/connections.css';

type Editing = { readonly kind: 'new' } | { readonly kind: 'edit'; readonly connection: Connection } | null;
type Notice = { readonly kind: 'done'; readonly text: string } | { readonly kind: 'test'; readonly name: string; readonly result: ConnectionTestResult } | { readonly kind: 'refused'; readonly error: unknown } | null;

/** Why a connection cannot be deleted, for a person (the API's own words, with where to go next). */
function deleteRefusal(err: unknown): Error {
  if (err instanceof ApiError && err.body.code === 'connection_is_send_storage') {
    return new Error('This connection holds the copies of send links: choose another send storage above before deleting it.');
  }
  if (err instanceof ApiError && err.body.code === 'connection_in_use') {
    return new Error(`${err.message} Revoke the links that use it (see All links), or wait until they end.`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Administration: storage connections (local folders, S3 buckets, SFTP servers): listed with their
 * status and share roots, created, tested, edited (secrets write-only), deleted after a
 * confirmation, and the one that holds send copies chosen.
 */
export function ConnectionsPage() {
  usePageTitle('Storage connections');
  const { data, error, reload } = useLoad(async () => {
    const [connections, sendStorage] = await Promise.all([connectionsApi.list(), connectionsApi.sendStorage()]);
    return { connections, sendStorage };
  }, 'connections');
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<Connection | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);

  const test = (c: Connection): void => {
    setTesting(c.id);
    setNotice(null);
    connectionsApi.test(c.id).then(
      (result) => {
        setTesting(null);
        setNotice({ kind: 'test', name: c.name, result });
        reload();
      },
      (err: unknown) => {
        setTesting(null);
        setNotice({ kind: 'refused', error: err });
      },
    );
  };
  const closeForm = (): void => {
    setEditing(null);
    // The form and the button that opened it may be gone: the list's heading takes the focus.
    setTimeout(() => listHeading.current?.focus(), 0);
  };

  return (
    <>
      <h1>Storage connections</h1>
      <p>
        Where files live: folders on the gateway, S3 buckets and SFTP servers. People share files from the folders a connection’s share roots give them;
        send links keep their copies in the send storage. The gateway reaches a storage before it saves a connection, and never shows its secrets again.
      </p>
      {error ? <Refusal error={error} /> : null}
      {data === null && !error ? <p aria-live="polite">Loading the connections…</p> : null}
      {data ? (
        <>
          <SendStorageForm
            key={data.sendStorage.connectionId}
            connections={data.connections}
            setting={data.sendStorage}
            onChanged={(s) => {
              const name = data.connections.find((c) => c.id === s.connectionId)?.name ?? s.connectionId;
              setNotice({ kind: 'done', text: `New send links now keep their copies in “${name}”.` });
              reload();
            }}
          />
          <h2 ref={listHeading} tabIndex={-1}>
            Connections
          </h2>
          <div aria-live="polite" className="notice">
            {notice?.kind === 'done' ? <p className="ok">{notice.text}</p> : null}
            {notice?.kind === 'test' ? (
              <p className={notice.result.ok ? 'ok' : 'failed'}>
                <strong>{notice.result.ok ? `Test of “${notice.name}”: it works.` : `Test of “${notice.name}”: it failed.`}</strong> {notice.result.message}
              </p>
            ) : null}
          </div>
          {notice?.kind === 'refused' ? <Refusal error={notice.error} /> : null}
          <div className="table-wrap connections-list">
            <ConnectionsTable
              connections={data.connections}
              sendStorageId={data.sendStorage.connectionId}
              busy={testing}
              onTest={test}
              onEdit={(c) => {
                setNotice(null);
                setEditing({ kind: 'edit', connection: c });
              }}
              onDelete={setDeleting}
            />
          </div>
          {editing ? (
            <ConnectionForm
              key={editing.kind === 'edit' ? editing.connection.id : 'new'}
              connection={editing.kind === 'edit' ? editing.connection : null}
              onCancel={closeForm}
              onSaved={(saved) => {
                setNotice({ kind: 'done', text: editing.kind === 'edit' ? `The changes to “${saved.name}” are saved.` : `The connection “${saved.name}” is created and answers.` });
                reload();
                closeForm();
              }}
            />
          ) : (
            <p>
              <button type="button" onClick={() => setEditing({ kind: 'new' })}>
                Add a connection
              </button>
            </p>
          )}
        </>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete the connection “${deleting.name}”?`}
          action="Delete connection"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            try {
              await connectionsApi.remove(deleting.id);
            } catch (err) {
              throw deleteRefusal(err);
            }
          }}
          onDone={() => {
            setNotice({ kind: 'done', text: `The connection “${deleting.name}” is deleted.` });
            reload();
            listHeading.current?.focus();
          }}
        >
          <p>
            The gateway forgets the connection and its secrets; the files stay where they are. A connection that links still use cannot be deleted.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
