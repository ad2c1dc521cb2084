import { useEffect, useId, useRef, useState, type ChangeEvent, type FormEvent, type ReactNode } from 'react';
import { brandingApi, brandsApi, type BrandEntryDocument, type BrandEntryView, type BrandingDocument, type BrandingView } from '../../../api/branding.ts';
import { ConfirmDialog } from '../../../ui/ConfirmDialog.tsx';
import { FieldError } from '../connections/FieldError.tsx';
import { BrandPreview } from './BrandPreview.tsx';
import { brandRefusalOf, FIELD_LABELS, type BrandField, type BrandRefusal, type Sent } from './refusal.ts';

interface Form {
  name: string;
  primaryColor: string;
  accentColor: string;
  supportEmail: string;
  footer: string;
  publicUrl: string;
  domains: string;
  groups: string;
  position: string;
}

const isEntry = (v: BrandingView | BrandEntryView): v is BrandEntryView => 'id' in v;

const formOf = (v: BrandingView | BrandEntryView | null, newPosition = 1): Form => ({
  name: v?.name ?? '',
  primaryColor: v?.primaryColor ?? '#1f5fbf',
  accentColor: v?.accentColor ?? '#1f5fbf',
  supportEmail: v?.supportEmail ?? '',
  footer: v?.footer ?? '',
  publicUrl: v?.publicUrl ?? '',
  domains: v && isEntry(v) ? v.domains.join('\n') : '',
  groups: v && isEntry(v) ? v.groups.join('\n') : '',
  position: v && isEntry(v) ? String(v.position) : String(newPosition),
});

/** Host names have no spaces: one per line, or separated by commas or spaces. */
export const domainsOf = (text: string): string[] => text.split(/[\s,]+/).filter((d) => d !== '');
/** Group names may hold spaces: one per line, or separated by commas. */
export const groupsOf = (text: string): string[] => text.split(/[\n,]/).map((g) => g.trim()).filter((g) => g !== '');

const documentOf = (f: Form): BrandingDocument => ({
  name: f.name,
  primaryColor: f.primaryColor,
  accentColor: f.accentColor,
  supportEmail: f.supportEmail.trim() === '' ? null : f.supportEmail.trim(),
  footer: f.footer.trim() === '' ? null : f.footer,
  publicUrl: f.publicUrl.trim() === '' ? null : f.publicUrl.trim(),
});

const entryOf = (f: Form): BrandEntryDocument => {
  const position = f.position.trim();
  return { ...documentOf(f), domains: domainsOf(f.domains), groups: groupsOf(f.groups), position: position === '' ? 0 : /^\d+$/.test(position) ? Number(position) : position };
};

/**
 * The editor of one brand, beside its live preview: the default brand (`isDefault`, through
 * /api/v1/branding), a further brand (`initial`, through /api/v1/brands/:id, with its domains, IdP
 * groups and order too), or a new one (`initial` null). What the gateway refuses is shown beside
 * each field it names, with a summary that takes the focus.
 */
export function BrandEditor({
  initial,
  isDefault,
  newPosition,
  focusOnOpen,
  onSaved,
  onClose,
}: {
  initial: BrandingView | BrandEntryView | null;
  isDefault: boolean;
  /** The order a new brand starts with (after the others). */
  newPosition?: number;
  /** Opened by the person (Edit, Add a brand): its heading takes the focus. */
  focusOnOpen: boolean;
  /** After a save, a logo change or a creation (`created`: the editor now edits the new brand). */
  onSaved: (view: BrandingView | BrandEntryView, created: boolean) => void;
  /** A further brand's editor can be closed (the page then shows the default brand's). */
  onClose?: () => void;
}) {
  const id = useId().replace(/:/g, '');
  const [view, setView] = useState<BrandingView | BrandEntryView | null>(initial);
  const [form, setForm] = useState<Form>(() => formOf(initial, newPosition));
  const [logoFile, setLogoFile] = useState<File | null>(null);
  const [logoPreview, setLogoPreview] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<BrandRefusal | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<'saved' | 'created' | null>(null);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const summary = useRef<HTMLDivElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (focusOnOpen) {
      heading.current?.focus();
    }
  }, []);
  useEffect(() => {
    if (refusal || error) {
      summary.current?.focus();
    }
  }, [refusal, error]);

  const entryId = view && isEntry(view) ? view.id : null;
  const title = isDefault ? 'Default brand' : view ? `Brand “${view.name}”` : 'New brand';
  const fieldId = (f: BrandField): string => `${id}-${f}`;
  const errorsOf = (f: BrandField): readonly string[] => refusal?.fields.find(([k]) => k === f)?.[1] ?? [];
  const control = (f: BrandField, hint = true) => {
    const invalid = errorsOf(f).length > 0;
    return {
      id: fieldId(f),
      name: f,
      'aria-invalid': invalid || undefined,
      'aria-describedby': [hint ? `${fieldId(f)}-hint` : '', invalid ? `${fieldId(f)}-error` : ''].filter(Boolean).join(' ') || undefined,
    };
  };
  const fieldError = (f: BrandField): ReactNode => <FieldError id={`${fieldId(f)}-error`} messages={errorsOf(f)} />;
  const set = (k: keyof Form) => (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    setSaved(null);
    setForm({ ...form, [k]: e.target.value });
  };

  const onLogo = (e: ChangeEvent<HTMLInputElement>): void => {
    const file = e.target.files?.[0] ?? null;
    setSaved(null);
    setLogoFile(file);
    setLogoPreview(null);
    if (file) {
      // A data: URL (the pages' CSP allows images from the gateway and data: only); shown in an <img>, an SVG runs nothing.
      const reader = new FileReader();
      reader.onload = () => setLogoPreview(typeof reader.result === 'string' ? reader.result : null);
      reader.readAsDataURL(file);
    }
  };

  const onSubmit = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault();
    const entry = entryOf(form);
    const sent: { -readonly [K in keyof Sent]: Sent[K] } = { domains: entry.domains, groups: entry.groups, logo: false };
    let created = false;
    setBusy(true);
    setRefusal(null);
    setError(null);
    setSaved(null);
    const persisted = (next: BrandingView | BrandEntryView, isNew: boolean): void => {
      setView(next);
      onSaved(next, isNew);
    };
    (async () => {
      let next: BrandingView | BrandEntryView;
      if (isDefault) {
        next = await brandingApi.put(documentOf(form));
      } else if (entryId) {
        next = await brandsApi.put(entryId, entry);
      } else {
        next = await brandsApi.create(entry);
        created = true;
        // Created: a refused logo below leaves a brand to edit, not a second one to create.
        persisted(next, true);
      }
      if (logoFile) {
        sent.logo = true;
        next = isDefault ? await brandingApi.putLogo(logoFile) : await brandsApi.putLogo((next as BrandEntryView).id, logoFile);
      }
      return next;
    })().then(
      (next) => {
        setBusy(false);
        persisted(next, false);
        setForm(formOf(next));
        setLogoFile(null);
        setLogoPreview(null);
        if (fileInput.current) {
          fileInput.current.value = '';
        }
        setSaved(created ? 'created' : 'saved');
      },
      (err: unknown) => {
        setBusy(false);
        const r = brandRefusalOf(err, sent);
        if (r) {
          setRefusal(r);
        } else {
          setError(err);
        }
      },
    );
  };

  const savedLogo = view && isEntry(view) && !isDefault ? brandsApi.logoSrc(view) : (view?.logoUrl ?? null);
  const domains = domainsOf(form.domains);
  const groups = groupsOf(form.groups);
  const savedText = isDefault
    ? 'Saved. Every page and new email now carries this brand.'
    : `${saved === 'created' ? 'Created' : 'Saved'}. ${domains.length > 0 ? `Pages on ${domains.join(', ')} show this brand` : 'No host name shows this brand yet'}; ${
        groups.length > 0 ? `new links of people in ${groups.join(', ')} carry it` : 'no IdP group gives it to links yet'
      }.`;

  return (
    <>
      <div className="branding-layout">
        <form className="branding-form" onSubmit={onSubmit} aria-labelledby={`${id}-title`} noValidate>
          <h2 id={`${id}-title`} ref={heading} tabIndex={-1}>
            {title}
          </h2>
          {isDefault ? <p className="meta">Shown on every host name no other brand claims, and on the links of people in no brand’s groups.</p> : null}
          {refusal || error ? (
            <div className="error-summary" ref={summary} tabIndex={-1} role="alert" aria-labelledby={`${id}-summary-title`}>
              <h3 id={`${id}-summary-title`}>{!isDefault && !view ? 'The brand was not created' : 'The brand was not saved'}</h3>
              {refusal && refusal.fields.length > 0 ? (
                <ul>
                  {refusal.fields.map(([f, messages]) => (
                    <li key={f}>
                      <a
                        href={`#${fieldId(f)}`}
                        onClick={(e) => {
                          e.preventDefault();
                          document.getElementById(fieldId(f))?.focus();
                        }}
                      >
                        {FIELD_LABELS[f]}: {messages.join(' ')}
                      </a>
                    </li>
                  ))}
                </ul>
              ) : null}
              {refusal ? <p className={refusal.fields.length > 0 ? 'meta' : undefined}>{refusal.fields.length > 0 ? `The gateway said: ${refusal.message}` : refusal.message}</p> : <p>{error instanceof Error ? error.message : String(error)}</p>}
            </div>
          ) : null}

          <label htmlFor={fieldId('name')}>Name</label>
          <input {...control('name')} type="text" required maxLength={100} value={form.name} onChange={set('name')} />
          <p id={`${fieldId('name')}-hint`} className="meta">
            In page headers, titles, and as the sender name of every email.
          </p>
          {fieldError('name')}

          {isDefault ? null : (
            <fieldset className="brand-where">
              <legend>Where this brand is used</legend>
              <label htmlFor={fieldId('domains')}>Domains</label>
              <textarea {...control('domains')} rows={3} spellCheck={false} autoCapitalize="none" value={form.domains} onChange={set('domains')} />
              <p id={`${fieldId('domains')}-hint`} className="meta">
                Host names whose pages show this brand, one per line or separated by commas, such as files.acme.example (no https://, port or path).
              </p>
              {fieldError('domains')}

              <label htmlFor={fieldId('groups')}>IdP groups</label>
              <textarea {...control('groups')} rows={3} spellCheck={false} autoCapitalize="none" value={form.groups} onChange={set('groups')} />
              <p id={`${fieldId('groups')}-hint`} className="meta">
                Groups of your identity provider, one per line or separated by commas: the links of their members carry this brand.
              </p>
              {fieldError('groups')}

              <label htmlFor={fieldId('position')}>Order</label>
              <input {...control('position')} type="number" min={0} step={1} inputMode="numeric" className="short" value={form.position} onChange={set('position')} />
              <p id={`${fieldId('position')}-hint`} className="meta">
                Lower first: a person in the groups of several brands gets the first of them.
              </p>
              {fieldError('position')}
            </fieldset>
          )}

          <div className="colours">
            <div>
              <label htmlFor={fieldId('primaryColor')}>Primary colour</label>
              <input {...control('primaryColor')} type="color" value={form.primaryColor} onChange={set('primaryColor')} />
              <p id={`${fieldId('primaryColor')}-hint`} className="meta">
                The header background, with white text: <code>{form.primaryColor}</code>
              </p>
            </div>
            <div>
              <label htmlFor={fieldId('accentColor')}>Accent colour</label>
              <input {...control('accentColor')} type="color" value={form.accentColor} onChange={set('accentColor')} />
              <p id={`${fieldId('accentColor')}-hint`} className="meta">
                Buttons and links: <code>{form.accentColor}</code>
              </p>
            </div>
          </div>
          {fieldError('primaryColor')}
          {fieldError('accentColor')}
          <p className="meta">Both colours must reach a contrast of 4.5:1 with white text (WCAG AA); a colour that does not is refused.</p>

          <label htmlFor={fieldId('logo')}>Logo</label>
          <input {...control('logo')} ref={fileInput} type="file" accept="image/png,image/jpeg,image/svg+xml" onChange={onLogo} />
          <p id={`${fieldId('logo')}-hint`} className="meta">
            PNG, JPEG or SVG, at most 512 KiB. Pictures are re-encoded without their metadata; SVG files are cleaned of scripts and external references.
          </p>
          {fieldError('logo')}
          {view?.logoUrl ? (
            <p>
              <button type="button" className="secondary" onClick={() => setConfirmRemove(true)}>
                Remove logo
              </button>
            </p>
          ) : null}

          <label htmlFor={fieldId('supportEmail')}>Support email</label>
          <input {...control('supportEmail')} type="email" maxLength={320} value={form.supportEmail} onChange={set('supportEmail')} />
          <p id={`${fieldId('supportEmail')}-hint`} className="meta">
            Optional: whom recipients may ask for help.
          </p>
          {fieldError('supportEmail')}

          <label htmlFor={fieldId('footer')}>Footer</label>
          <textarea {...control('footer')} maxLength={500} rows={3} value={form.footer} onChange={set('footer')} />
          <p id={`${fieldId('footer')}-hint`} className="meta">
            Optional, at most 500 characters: a line under every recipient page and email.
          </p>
          {fieldError('footer')}

          <label htmlFor={fieldId('publicUrl')}>Public URL</label>
          <input {...control('publicUrl')} type="url" maxLength={300} value={form.publicUrl} onChange={set('publicUrl')} placeholder={isDefault ? 'https://files.example.com' : 'https://files.acme.example'} />
          <p id={`${fieldId('publicUrl')}-hint`} className="meta">
            {isDefault
              ? 'Optional: the address emails use for the logo. Empty: the gateway’s own address.'
              : 'Optional: the address of this brand’s links and of the logo in its emails, on one of its domains. Empty: the gateway’s own address.'}
          </p>
          {fieldError('publicUrl')}

          <p className="actions">
            <button type="submit" disabled={busy}>
              {!isDefault && !view ? 'Create brand' : 'Save'}
            </button>
            {onClose ? (
              <button type="button" className="secondary" onClick={onClose}>
                {view ? 'Close' : 'Cancel'}
              </button>
            ) : null}
            {saved ? (
              <span role="status" className="saved">
                {savedText}
              </span>
            ) : null}
          </p>
        </form>

        <BrandPreview brand={{ ...form, logoUrl: logoPreview ?? savedLogo }} />
      </div>

        {confirmRemove ? (
          <ConfirmDialog
            title={isDefault ? 'Remove the logo?' : `Remove the logo of “${view?.name ?? ''}”?`}
            action="Remove logo"
            onClose={() => setConfirmRemove(false)}
            onConfirm={async () => {
              const next = entryId && !isDefault ? (await brandsApi.deleteLogo(entryId), await brandsApi.get(entryId)) : (await brandingApi.deleteLogo(), await brandingApi.get());
              setView(next);
              onSaved(next, false);
            }}
            onDone={() => fileInput.current?.focus()}
          >
            <p>Pages and new emails will show the name alone.</p>
          </ConfirmDialog>
        ) : null}
    </>
  );
}
