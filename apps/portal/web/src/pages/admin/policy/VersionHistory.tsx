import { useEffect, useRef, useState } from 'react';
import { policyApi, type PolicyDocument, type PolicyVersionMeta } from '../../../api/policy.ts';
import { DataTable } from '../../../ui/DataTable.tsx';
import { When } from '../../../ui/format.tsx';
import { Refusal } from '../../../ui/Refusal.tsx';
import { useLoad } from '../../../ui/useLoad.ts';
import { ChangeList } from './ChangeList.tsx';
import { toYaml } from './document.ts';

const PAGE = 10;

/** Who made a version, as the audit names them: `user:ann` is ann, `file:/etc/…` the policy file. */
export function whoOf(createdBy: string): string {
  if (createdBy.startsWith('user:')) {
    return createdBy.slice('user:'.length);
  }
  return createdBy.startsWith('file:') ? `the policy file ${createdBy.slice('file:'.length)}` : createdBy;
}

/** One saved version's whole document, read-only. */
function VersionDocument({ version, onClose, onUse }: { version: number; onClose: () => void; onUse: ((doc: PolicyDocument) => void) | null }) {
  const loaded = useLoad(() => policyApi.version(version), `policy-version-${String(version)}`);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [version]);
  return (
    <section className="version-document" aria-labelledby="policy-version-title">
      <h3 id="policy-version-title" ref={heading} tabIndex={-1}>{`Version ${String(version)}`}</h3>
      {loaded.error ? <Refusal error={loaded.error} /> : null}
      {loaded.data ? (
        <>
          <p className="meta">
            {`Saved by ${whoOf(loaded.data.createdBy)}, `}
            <When iso={loaded.data.createdAt} />.
          </p>
          <pre className="yaml" tabIndex={0} aria-label={`Version ${String(version)} as YAML`}>
            {toYaml(loaded.data.document)}
          </pre>
        </>
      ) : loaded.error ? null : (
        <p aria-live="polite">Loading…</p>
      )}
      <div className="actions">
        {onUse && loaded.data ? (
          <button type="button" className="secondary" onClick={() => onUse(loaded.data!.document)}>
            Put this version in the form
          </button>
        ) : null}
        <button type="button" className="secondary" onClick={onClose}>
          Close version {version}
        </button>
      </div>
    </section>
  );
}

/** The table "Policy versions", newest first, ten at a time; each row's document can be viewed (and edited from). */
export function VersionHistory({ refresh, onUse }: { refresh: number; onUse: ((doc: PolicyDocument) => void) | null }) {
  const [cursors, setCursors] = useState<Array<number | undefined>>([undefined]);
  const [viewing, setViewing] = useState<number | null>(null);
  const before = cursors.at(-1);
  const list = useLoad(() => policyApi.versions(PAGE + 1, before), `policy-versions-${String(before)}-${String(refresh)}`);
  useEffect(() => setCursors([undefined]), [refresh]);
  const rows = list.data?.slice(0, PAGE) ?? null;
  const more = (list.data?.length ?? 0) > PAGE;
  return (
    <section className="policy-versions" aria-labelledby="policy-versions-title">
      <h2 id="policy-versions-title">Version history</h2>
      {list.error ? <Refusal error={list.error} /> : null}
      {rows === null && !list.error ? <p aria-live="polite">Loading…</p> : null}
      {rows !== null ? (
        <div className="table-wrap">
          <DataTable<PolicyVersionMeta>
            label="Policy versions"
            rows={rows}
            rowKey={(v) => String(v.version)}
            empty="No version is saved yet: the built-in default policy is in force."
            columns={[
              { header: 'Version', cell: (v) => v.version },
              { header: 'When', cell: (v) => <When iso={v.createdAt} /> },
              { header: 'Who', cell: (v) => whoOf(v.createdBy) },
              { header: 'Applied to existing links', cell: (v) => (v.retroactive ? 'Yes' : 'No') },
              { header: 'Changes', className: 'changes-cell', cell: (v) => <ChangeList changes={v.diff} /> },
            ]}
            actions={(v, describedBy) => (
              <button type="button" className="secondary" aria-describedby={describedBy} onClick={() => setViewing(v.version)}>
                View<span className="visually-hidden">{` version ${String(v.version)}`}</span>
              </button>
            )}
          />
        </div>
      ) : null}
      <div className="actions">
        {cursors.length > 1 ? (
          <button type="button" className="secondary" onClick={() => setCursors((c) => c.slice(0, -1))}>
            Newer versions
          </button>
        ) : null}
        {more && rows ? (
          <button type="button" className="secondary" onClick={() => setCursors((c) => [...c, rows.at(-1)!.version])}>
            Older versions
          </button>
        ) : null}
      </div>
      {viewing !== null ? <VersionDocument version={viewing} onClose={() => setViewing(null)} onUse={onUse} /> : null}
    </section>
  );
}
