import { useEffect, useId, useRef, useState, type FormEvent, type RefObject } from 'react';
import {
  mailTemplatesApi,
  TEMPLATE_PARTS,
  templateProblemOf,
  type MailTemplate,
  type TemplatePart,
  type TemplateSources,
  type TemplateVariable,
  type TemplateVersion,
} from '../../api/mail-templates.ts';
import { ConfirmDialog } from '../../ui/ConfirmDialog.tsx';
import { DataTable } from '../../ui/DataTable.tsx';
import { When } from '../../ui/format.tsx';
import { Refusal } from '../../ui/Refusal.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { usePageTitle } from '../../ui/usePageTitle.ts';
import './email-templates.css';
import { EmailPreview } from '../../ui/EmailPreview.tsx';

const PART_LABEL: Record<TemplatePart, string> = { subject: 'Subject', text: 'Text body', html: 'HTML body' };
const PART_HINT: Record<TemplatePart, string> = {
  subject: 'One line, at most 250 characters once filled in.',
  text: 'The plain-text version of the message.',
  html: 'The HTML version, placed inside the gateway’s layout. Every variable is HTML-escaped; {{{…}}} is not allowed.',
};

const TEMPLATE_TITLE: Record<string, string> = {
  'recipient-invitation': 'Recipient invitation',
  'verification-code': 'Verification code',
  'download-notification': 'Download notification',
  'expired-unused': 'Link expired unused',
};
const titleOf = (name: string): string => TEMPLATE_TITLE[name] ?? name;

/** Moves the focus to `field` with the caret on `line` (1-based), so the person lands on the problem. */
function focusLine(field: HTMLTextAreaElement | null, line: number | null): void {
  if (!field) {
    return;
  }
  field.focus();
  if (line !== null) {
    const lines = field.value.split('\n');
    const start = lines.slice(0, Math.max(0, line - 1)).reduce((n, l) => n + l.length + 1, 0);
    const end = Math.min(field.value.length, start + (lines[line - 1]?.length ?? 0));
    field.setSelectionRange(Math.min(start, field.value.length), end);
  }
}

/** The variables of a template, as a nested list a person can copy names from. */
function Variables({ variables, prefix = '' }: { variables: readonly TemplateVariable[]; prefix?: string }) {
  return (
    <ul className="template-variables">
      {variables.map((v) => (
        <li key={v.name}>
          <code>{v.kind === 'list' ? `{{#each ${prefix}${v.name}}}` : v.kind === 'object' ? `${prefix}${v.name}.…` : `{{${prefix}${v.name}}}`}</code> {v.description}
          {v.fields ? <Variables variables={v.fields} prefix={v.kind === 'object' ? `${prefix}${v.name}.` : ''} /> : null}
        </li>
      ))}
    </ul>
  );
}

const changeText = (v: TemplateVersion): string =>
  v.action === 'reset' ? 'Reset to default' : v.action === 'restored' ? `Restored version ${String(v.restoredFrom)}` : `Saved (${v.customisedParts.map((p) => PART_LABEL[p].toLowerCase()).join(', ') || 'as the defaults'})`;

/** The history of a template, newest first, with a way back to each earlier version. */
function VersionHistory({ template, onChanged }: { template: MailTemplate; onChanged: (t: MailTemplate, notice: string) => void }) {
  const versions = useLoad(() => mailTemplatesApi.versions(template.name), `${template.name}-${String(template.version)}`);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const restore = (v: number): void => {
    setBusy(true);
    setError(null);
    mailTemplatesApi.restore(template.name, v, template.etag).then(
      (t) => {
        setBusy(false);
        onChanged(t, `Version ${String(v)} restored as version ${String(t.version)}.`);
      },
      (e: unknown) => {
        setBusy(false);
        setError(e);
      },
    );
  };
  return (
    <section aria-labelledby="template-versions-title">
      <h2 id="template-versions-title">Version history</h2>
      {versions.error ? <Refusal error={versions.error} /> : null}
      {error ? <Refusal error={error} /> : null}
      {versions.data ? (
        <DataTable
          label="Versions"
          rows={versions.data}
          rowKey={(v) => String(v.version)}
          empty="Never changed: the built-in template is in use."
          columns={[
            { header: 'Version', cell: (v) => (v.version === template.version ? `${String(v.version)} (in use)` : String(v.version)) },
            { header: 'Change', cell: changeText },
            { header: 'By', cell: (v) => v.createdBy.replace(/^user:/, '') },
            { header: 'When', cell: (v) => <When iso={v.createdAt} /> },
          ]}
          actions={(v, describedBy) =>
            v.version === template.version ? null : (
              <button type="button" className="secondary" aria-describedby={describedBy} disabled={busy} onClick={() => restore(v.version)}>
                Restore
              </button>
            )
          }
        />
      ) : (
        <p>Loading the versions…</p>
      )}
    </section>
  );
}

/** The three parts of one template, with Preview, Save and Reset to default. */
function TemplateForm({ template, onChanged }: { template: MailTemplate; onChanged: (t: MailTemplate, notice: string) => void }) {
  const id = useId();
  const [drafts, setDrafts] = useState<TemplateSources>({ subject: template.subject, text: template.text, html: template.html });
  const [problem, setProblem] = useState<{ part: TemplatePart; line: number | null; message: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [preview, setPreview] = useState<TemplateSources | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmReset, setConfirmReset] = useState(false);
  const fields: Record<TemplatePart, RefObject<HTMLTextAreaElement | null>> = { subject: useRef(null), text: useRef(null), html: useRef(null) };
  const previewHeading = useRef<HTMLHeadingElement>(null);
  const [focusPending, setFocusPending] = useState<'problem' | 'preview' | null>(null);

  useEffect(() => {
    if (focusPending === 'problem' && problem) {
      focusLine(fields[problem.part].current, problem.line);
    } else if (focusPending === 'preview') {
      previewHeading.current?.focus();
    }
    setFocusPending(null);
  }, [focusPending]);

  const refused = (err: unknown): void => {
    setBusy(false);
    const p = templateProblemOf(err);
    if (p) {
      setProblem(p);
      setFocusPending('problem');
    } else {
      setError(err);
    }
  };
  const begin = (): void => {
    setBusy(true);
    setProblem(null);
    setError(null);
  };
  const onPreview = (): void => {
    begin();
    mailTemplatesApi.preview(template.name, drafts).then((p) => {
      setBusy(false);
      setPreview(p);
      setFocusPending('preview');
    }, refused);
  };
  const onSave = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault();
    begin();
    mailTemplatesApi.save(template.name, drafts, template.etag).then((t) => {
      setBusy(false);
      onChanged(t, t.version === template.version ? 'Nothing changed: the template in use is the same.' : `Saved as version ${String(t.version)}. New messages use it.`);
    }, refused);
  };

  return (
    <>
      <form className="template-form" onSubmit={onSave} aria-labelledby={`${id}-title`} noValidate>
        <h2 id={`${id}-title`}>Edit “{titleOf(template.name)}”</h2>
        {TEMPLATE_PARTS.map((part) => {
          const wrong = problem?.part === part;
          return (
            <div className="template-part" key={part}>
              <label htmlFor={`${id}-${part}`}>{PART_LABEL[part]}</label>
              <p className="meta" id={`${id}-${part}-hint`}>
                {PART_HINT[part]} {template.customisedParts.includes(part) ? 'Customised.' : 'The built-in default.'}
              </p>
              <textarea
                id={`${id}-${part}`}
                ref={fields[part]}
                className={part === 'subject' ? 'subject' : 'body'}
                rows={part === 'subject' ? 2 : 14}
                spellCheck={false}
                value={drafts[part]}
                aria-invalid={wrong ? true : undefined}
                aria-describedby={`${id}-${part}-hint${wrong ? ` ${id}-${part}-error` : ''}`}
                onChange={(e) => {
                  const value = e.currentTarget.value;
                  setDrafts((d) => ({ ...d, [part]: value }));
                }}
              />
              {wrong ? (
                <p className="error field-error" id={`${id}-${part}-error`} role="alert">
                  {problem.message}
                </p>
              ) : null}
            </div>
          );
        })}
        {error ? <Refusal error={error} /> : null}
        <div className="template-actions">
          <button type="button" className="secondary" onClick={onPreview} disabled={busy}>
            Preview
          </button>
          <button type="submit" disabled={busy}>
            Save
          </button>
          <button type="button" className="danger-text" onClick={() => setConfirmReset(true)} disabled={busy || !template.customised}>
            Reset to default
          </button>
        </div>
      </form>
      {confirmReset ? (
        <ConfirmDialog
          title={`Reset “${titleOf(template.name)}” to the built-in template?`}
          action="Reset to default"
          onConfirm={async () => {
            const t = await mailTemplatesApi.reset(template.name, template.etag);
            onChanged(t, `Reset to the built-in template (version ${String(t.version)}). The earlier versions stay in the history.`);
          }}
          onClose={() => setConfirmReset(false)}
        >
          <p>Every part returns to the template shipped with the gateway. You can restore your version from the history later.</p>
        </ConfirmDialog>
      ) : null}
      {preview ? (
        <section className="template-preview" aria-labelledby={`${id}-preview`}>
          <h2 id={`${id}-preview`} ref={previewHeading} tabIndex={-1}>
            Preview
          </h2>
          <p className="meta">
            Filled in with sample data; nothing is saved or sent. Links and anything active in the email do nothing here.
          </p>
          <p className="preview-subject">
            <span className="preview-label">Subject:</span> {preview.subject}
          </p>
          <h3>HTML</h3>
          <EmailPreview title="HTML preview of the email" html={preview.html} />
          <h3>Text</h3>
          <pre className="preview-text" aria-label="Text preview of the email">
            {preview.text}
          </pre>
        </section>
      ) : null}
    </>
  );
}

/** One template: its editor and its history; a change made here reloads both. */
function TemplateEditor({ name, onChanged }: { name: string; onChanged: () => void }) {
  const loaded = useLoad(() => mailTemplatesApi.get(name), name);
  const [current, setCurrent] = useState<MailTemplate | null>(null);
  const [notice, setNotice] = useState('');
  const template = current ?? loaded.data;
  const changed = (t: MailTemplate, text: string): void => {
    setCurrent(t);
    setNotice(text);
    onChanged();
  };
  return (
    <>
      <p role="status" className="template-notice">
        {notice}
      </p>
      {loaded.error ? <Refusal error={loaded.error} /> : null}
      {template ? (
        <>
          <p className="meta">
            {template.description}{' '}
            {template.version === 0
              ? 'The built-in template is in use.'
              : `Version ${String(template.version)}${template.customised ? '' : ' (the built-in template)'}, by ${template.updatedBy?.replace(/^user:/, '') ?? 'unknown'}.`}
          </p>
          <details className="template-variables-box">
            <summary>Variables of this email</summary>
            <p className="meta">
              Print a variable with {'{{name}}'}; test it with {'{{#if name}}…{{else}}…{{/if}}'} or {'{{#unless name}}'}; go through a list with {'{{#each files}}{{name}}{{/each}}'}.
              Nothing else is allowed (no other helpers, partials or {'{{{…}}}'}).
            </p>
            <Variables variables={template.variables} />
          </details>
          <TemplateForm key={`${template.name}-${String(template.version)}`} template={template} onChanged={changed} />
          <VersionHistory template={template} onChanged={changed} />
        </>
      ) : loaded.error ? null : (
        <p>Loading the template…</p>
      )}
    </>
  );
}

/** Administration: the email templates (admins only): edit, preview, save, history, reset. */
export function EmailTemplatesPage() {
  usePageTitle('Email templates');
  const id = useId();
  const list = useLoad(() => mailTemplatesApi.list(), 'templates');
  const [name, setName] = useState('recipient-invitation');
  return (
    <div className="email-templates">
      <h1>Email templates</h1>
      <p>The subject and body of each email the gateway sends. Changes apply to the next message sent; every version is kept.</p>
      {list.error ? <Refusal error={list.error} /> : null}
      {list.data ? (
        <>
          <label htmlFor={`${id}-template`}>Template</label>
          <select id={`${id}-template`} value={name} onChange={(e) => setName(e.currentTarget.value)}>
            {list.data.map((t) => (
              <option key={t.name} value={t.name}>
                {titleOf(t.name)}
                {t.customised ? ' (customised)' : ''}
              </option>
            ))}
          </select>
          <TemplateEditor key={name} name={name} onChanged={list.reload} />
        </>
      ) : list.error ? null : (
        <p>Loading the templates…</p>
      )}
    </div>
  );
}
