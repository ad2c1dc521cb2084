import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../../../api/client.ts';
import { policyApi, type CurrentPolicy, type DryRunReport, type PolicyDocument } from '../../../api/policy.ts';
import { ConfirmDialog } from '../../../ui/ConfirmDialog.tsx';
import { Refusal } from '../../../ui/Refusal.tsx';
import { ConflictNotice, MergedNotice } from './ConflictNotice.tsx';
import { applyChanges, diff, fromYaml, problemsOf, setAt, toYaml, type Change, type KeyPath } from './document.ts';
import { countActions, DryRunResult } from './DryRunResult.tsx';
import { ErrorSummary, focusField } from './ErrorSummary.tsx';
import { FieldProblems } from './fields.tsx';
import { FileManagedNotice } from './FileManagedNotice.tsx';
import { GroupOverrides } from './GroupOverrides.tsx';
import { fieldKeys, plural } from './labels.ts';
import { OrgSections } from './OrgSections.tsx';
import { SaveBar } from './SaveBar.tsx';
import { VersionHistory } from './VersionHistory.tsx';
import { TabPanel, ViewTabs, type PolicyView } from './ViewTabs.tsx';
import { YamlView } from './YamlView.tsx';
import './policy.css';

/** What the retroactive save will do, said before it is done. */
function retroactiveText(report: DryRunReport): string {
  if (report.violations.length === 0) {
    return `None of the ${plural(report.checked, 'live link', 'live links')} breaks the edited policy: saving changes no existing link.`;
  }
  const { shortened, revoked } = countActions(report);
  return `Of the ${plural(report.checked, 'live link', 'live links')}, ${plural(shortened, 'link gets', 'links get')} a shorter expiry (the longest the policy allows) and ${plural(revoked, 'link is', 'links are')} revoked: their recipients lose access at once. This cannot be undone.`;
}

function savedText(before: CurrentPolicy, saved: Awaited<ReturnType<typeof policyApi.save>>): string {
  if (saved.version === before.version) {
    return `Nothing to save: the policy is the same as version ${String(saved.version)}.`;
  }
  const applied =
    saved.shortened !== null && saved.revoked !== null
      ? ` Applied to existing links: ${plural(saved.shortened, 'link got', 'links got')} a shorter expiry and ${plural(saved.revoked, 'link was', 'links were')} revoked.`
      : ' Existing links are left as they were.';
  return `Saved: version ${String(saved.version)} is in force.${applied}`;
}

/**
 * The policy editor: the organisation's link policy as one edited document shown as a form or as YAML;
 * a dry run lists the live links it would break; saving is conditional on the version loaded
 * (If-Match), and may bring existing links into line after a confirmation. Read-only while a
 * policy file manages the policy. Every rule is the gateway's: its refusals are shown on their fields.
 */
export default function PolicyEditor() {

  const [base, setBase] = useState<CurrentPolicy | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [draft, setDraft] = useState<PolicyDocument | null>(null);
  const [view, setView] = useState<PolicyView>('form');
  const [yamlText, setYamlText] = useState('');
  const [yamlError, setYamlError] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<unknown>(null);
  const [conflict, setConflict] = useState<{ version: number | null } | null>(null);
  const [merged, setMerged] = useState<{ version: number; theirs: Change[]; mine: Change[] } | null>(null);
  const [dry, setDry] = useState<{ report: DryRunReport; of: string } | null>(null);
  const [confirm, setConfirm] = useState<{ report: DryRunReport; doc: PolicyDocument } | null>(null);
  const [retroactive, setRetroactive] = useState(false);
  const [busy, setBusy] = useState<'dry' | 'save' | 'reload' | null>(null);
  const [status, setStatus] = useState('');
  const [refresh, setRefresh] = useState(0);
  const statusRef = useRef<HTMLParagraphElement>(null);
  const savedOk = useRef(false);

  useEffect(() => {
    policyApi.current().then(
      (current) => {
        setBase(current);
        setDraft(current.document);
      },
      (e: unknown) => setLoadError(e),
    );
  }, []);

  const groups = useMemo(() => Object.keys(draft?.groups ?? {}), [draft]);
  const fields = useMemo(() => [...fieldKeys(groups), 'groups', ...groups.map((g) => `groups.${g}`)], [groups]);
  const problems = useMemo(() => problemsOf(refusal), [refusal]);
  const byPath = useMemo(() => {
    const map = new Map<string, string[]>();
    for (const p of problems) {
      map.set(p.path, [...(map.get(p.path) ?? []), p.message]);
    }
    return map;
  }, [problems]);

  if (loadError) {
    return (
      <>
        <h1>Organisation policy</h1>
        <Refusal error={loadError} />
      </>
    );
  }
  if (!base || !draft) {
    return (
      <>
        <h1>Organisation policy</h1>
        <p aria-live="polite">Loading the policy…</p>
      </>
    );
  }

  const readOnly = base.source === 'file';
  const set = (path: KeyPath, value: unknown): void => setDraft((d) => (d ? setAt(d, path, value) : d));
  const edits = diff(base.document, draft);

  /** The document being edited; in the YAML view, its text read first (null, with the error shown, when it cannot be read). */
  const readDraft = (): PolicyDocument | null => {
    if (view !== 'yaml') {
      return draft;
    }
    const parsed = fromYaml(yamlText, draft);
    if (!parsed.ok) {
      setYamlError(parsed.message);
      document.getElementById('policy-yaml')?.focus();
      return null;
    }
    setYamlError(null);
    setDraft(parsed.document);
    return parsed.document;
  };

  const selectView = (next: PolicyView): boolean => {
    if (next === view) {
      return true;
    }
    if (next === 'yaml') {
      setYamlText(toYaml(draft));
      setYamlError(null);
      setView('yaml');
      return true;
    }
    if (readDraft()) {
      setView('form');
      return true;
    }
    return false;
  };

  const goTo = (key: string): void => {
    if (view === 'form') {
      focusField(key);
    } else if (selectView('form')) {
      // The form renders first.
      setTimeout(() => focusField(key), 0);
    }
  };

  const dryRun = (then?: (report: DryRunReport, doc: PolicyDocument) => void): void => {
    const doc = readDraft();
    if (!doc) {
      return;
    }
    setBusy('dry');
    setRefusal(null);
    setStatus('');
    policyApi.dryRun(doc).then(
      (report) => {
        setBusy(null);
        setDry({ report, of: JSON.stringify(doc) });
        if (then) {
          then(report, doc);
        } else {
          setTimeout(() => document.getElementById('policy-dry-run-title')?.focus(), 0);
        }
      },
      (e: unknown) => {
        setBusy(null);
        setRefusal(e);
      },
    );
  };

  const save = async (doc: PolicyDocument, retro: boolean): Promise<void> => {
    savedOk.current = false;
    setBusy('save');
    setRefusal(null);
    setStatus('');
    try {
      const saved = await policyApi.save(doc, base.etag, retro);
      setBase(saved);
      setDraft(saved.document);
      setYamlText(toYaml(saved.document));
      setConflict(null);
      setMerged(null);
      setDry(null);
      setRetroactive(false);
      setStatus(savedText(base, saved));
      setRefresh((r) => r + 1);
      savedOk.current = true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) {
        setConflict({ version: typeof e.body.currentVersion === 'number' ? e.body.currentVersion : null });
      } else {
        setRefusal(e);
      }
    } finally {
      setBusy(null);
    }
  };

  const onSubmit = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault();
    if (retroactive) {
      dryRun((report, doc) => setConfirm({ report, doc }));
      return;
    }
    const doc = readDraft();
    if (doc) {
      void save(doc, false).then(() => savedOk.current && statusRef.current?.focus());
    }
  };

  /** After a 412: the version in force, with this page's edits laid on top of it. */
  const reloadKeepingEdits = (): void => {
    const doc = readDraft();
    if (!doc) {
      return;
    }
    setBusy('reload');
    policyApi.current().then(
      (current) => {
        const theirs = diff(base.document, current.document);
        const mine = diff(base.document, doc);
        const next = applyChanges(current.document, mine);
        setBase(current);
        setDraft(next);
        setYamlText(toYaml(next));
        setConflict(null);
        setDry(null);
        setMerged({ version: current.version, theirs, mine });
        setBusy(null);
        setTimeout(() => document.getElementById('policy-merged-title')?.parentElement?.focus(), 0);
      },
      (e: unknown) => {
        setBusy(null);
        setRefusal(e);
      },
    );
  };

  const putVersionInForm = (doc: PolicyDocument): void => {
    setDraft(doc);
    setYamlText(toYaml(doc));
    setYamlError(null);
    setStatus('That version is in the form: check it, run a dry run and save it to make it the policy again.');
    statusRef.current?.focus();
  };

  return (
    <div className="policy-page">
      <h1>Organisation policy</h1>
      <p className="meta">
        {base.version === 0 ? 'The built-in default policy is in force: no version has been saved yet.' : `Version ${String(base.version)} is in force.`} Every
        new link follows it; group overrides can only make it stricter.
      </p>

      {readOnly ? <FileManagedNotice file={base.file} /> : null}

      <p className="status" role="status" tabIndex={-1} ref={statusRef}>
        {status}
      </p>
      {conflict ? <ConflictNotice version={conflict.version} onReload={reloadKeepingEdits} busy={busy !== null} /> : null}
      {merged ? <MergedNotice version={merged.version} theirs={merged.theirs} mine={merged.mine} onDismiss={() => setMerged(null)} /> : null}
      {refusal ? <ErrorSummary message={refusal instanceof Error ? refusal.message : String(refusal)} problems={problems} fields={fields} groups={groups} onGoTo={goTo} /> : null}

      <form className="policy-form" aria-label="Policy" onSubmit={onSubmit} noValidate>
        <ViewTabs view={view} onSelect={selectView} />
        <FieldProblems.Provider value={byPath}>
          {view === 'form' ? (
            <TabPanel view="form">
              <fieldset className="policy-body" disabled={readOnly}>
                <legend className="visually-hidden">The policy’s settings</legend>
                <OrgSections doc={draft} set={set} />
                <GroupOverrides doc={draft} set={set} />
              </fieldset>
            </TabPanel>
          ) : (
            <TabPanel view="yaml">
              <YamlView text={yamlText} onChange={setYamlText} error={yamlError} readOnly={readOnly} />
            </TabPanel>
          )}
        </FieldProblems.Provider>

        {readOnly ? null : <SaveBar edits={edits.length} busy={busy} retroactive={retroactive} onRetroactive={setRetroactive} onDryRun={() => dryRun()} />}
      </form>

      {dry ? <DryRunResult report={dry.report} stale={dry.of !== JSON.stringify(draft) && view === 'form'} /> : null}

      <VersionHistory refresh={refresh} onUse={readOnly ? null : putVersionInForm} />

      {confirm ? (
        <ConfirmDialog
          title="Save and apply to existing links?"
          action="Save and apply"
          onConfirm={() => save(confirm.doc, true)}
          onClose={() => setConfirm(null)}
          onDone={() => {
            if (savedOk.current) {
              statusRef.current?.focus();
            }
          }}
        >
          <p>{retroactiveText(confirm.report)}</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
