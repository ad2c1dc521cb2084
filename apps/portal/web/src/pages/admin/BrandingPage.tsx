import { useContext, useRef, useState } from 'react';
import { brandingApi, brandsApi, type BrandEntryView, type BrandingView } from '../../api/branding.ts';
import { BrandContext } from '../../ui/brand-context.ts';
import { ConfirmDialog } from '../../ui/ConfirmDialog.tsx';
import { Refusal } from '../../ui/Refusal.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { usePageTitle } from '../../ui/usePageTitle.ts';
import { BrandEditor } from './branding/BrandEditor.tsx';
import { BrandsTable } from './branding/BrandsTable.tsx';
import '../../ui/fields.css';
import './connections/connections.css';
import './branding.css';

/** What the editor shows: the default brand, a further brand, or a new one. `key` stays when a new brand is created, so the editor keeps its state. */
type Editing = { readonly kind: 'default'; readonly key: string } | { readonly kind: 'brand'; readonly id: string; readonly key: string } | { readonly kind: 'new'; readonly key: string };

/** The default brand as a row of the list, also before it was ever saved (GET /api/v1/brands lists it only then). */
const defaultRow = (v: BrandingView, listed: BrandEntryView | undefined): BrandEntryView => ({ ...(listed ?? { id: 'default', domains: [], groups: [], position: 0 }), ...v, isDefault: true });

/**
 * Administration: the brands. The list (the default brand first, then the others in order) with
 * Edit and Delete; one editor at a time with its live preview: the default brand's (name, colours,
 * logo, support email, footer, public URL), a further brand's (the same, plus the host names it is
 * served on, the IdP groups whose links it dresses and its order), or a new brand's.
 */
export function BrandingPage() {
  usePageTitle('Branding');
  const brandContext = useContext(BrandContext);
  const loaded = useLoad(async () => {
    const [branding, brands] = await Promise.all([brandingApi.get(), brandsApi.list()]);
    return { branding, brands };
  }, 'branding');
  const [editing, setEditing] = useState<Editing>({ kind: 'default', key: 'default' });
  const [opened, setOpened] = useState(false);
  const [deleting, setDeleting] = useState<BrandEntryView | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);
  const generation = useRef(0);

  if (loaded.error && !loaded.data) {
    return (
      <>
        <h1>Branding</h1>
        <Refusal error={loaded.error} />
      </>
    );
  }
  if (!loaded.data) {
    return (
      <>
        <h1>Branding</h1>
        <p aria-live="polite">Loading…</p>
      </>
    );
  }

  const { branding, brands } = loaded.data;
  const rows = [defaultRow(branding, brands.find((b) => b.isDefault)), ...brands.filter((b) => !b.isDefault)];
  const open = (next: { kind: 'default' } | { kind: 'brand'; id: string } | { kind: 'new' }): void => {
    generation.current += 1;
    setNotice(null);
    setOpened(true);
    setEditing({ ...next, key: next.kind === 'brand' ? `${next.id}-${String(generation.current)}` : `${next.kind}-${String(generation.current)}` });
  };
  const closeEditor = (): void => {
    setEditing({ kind: 'default', key: 'default' });
    setOpened(false);
    // The editor and the button that opened it may be gone: the list's heading takes the focus.
    setTimeout(() => listHeading.current?.focus(), 0);
  };
  const editedBrand = editing.kind === 'brand' ? brands.find((b) => b.id === editing.id) : undefined;

  return (
    <>
      <h1>Branding</h1>
      <p className="meta">How recipient pages, sign-in pages, this app and every email present your organisation.</p>
      <section aria-labelledby="brands-title" className="brands">
        <h2 id="brands-title" ref={listHeading} tabIndex={-1}>
          Brands
        </h2>
        <p className="meta">
          A page shows the brand whose domains hold the host name it was opened on, else the default brand. A person’s links carry the first brand, by order, that names one of their IdP groups,
          else the default brand.
        </p>
        <div aria-live="polite" className="notice">
          {notice ? <p className="ok">{notice}</p> : null}
        </div>
        {loaded.error ? <Refusal error={loaded.error} /> : null}
        <div className="table-wrap">
          <BrandsTable brands={rows} onEdit={(b) => open(b.isDefault ? { kind: 'default' } : { kind: 'brand', id: b.id })} onDelete={setDeleting} />
        </div>
        <p>
          <button type="button" onClick={() => open({ kind: 'new' })}>
            Add a brand
          </button>
        </p>
      </section>

      <BrandEditor
        key={editing.key}
        initial={editing.kind === 'default' ? branding : editing.kind === 'brand' ? (editedBrand ?? null) : null}
        isDefault={editing.kind === 'default'}
        newPosition={Math.max(0, ...brands.filter((b) => !b.isDefault).map((b) => b.position)) + 1}
        focusOnOpen={opened}
        onSaved={(view, created) => {
          if (created && 'id' in view) {
            setEditing({ kind: 'brand', id: view.id, key: editing.key });
          }
          if (editing.kind === 'default') {
            brandContext.refresh();
          }
          loaded.reload();
        }}
        onClose={editing.kind === 'default' ? undefined : closeEditor}
      />

      {deleting ? (
        <ConfirmDialog
          title={`Delete the brand “${deleting.name}”?`}
          action="Delete brand"
          onClose={() => setDeleting(null)}
          onConfirm={() => brandsApi.remove(deleting.id)}
          onDone={() => {
            setNotice(`The brand “${deleting.name}” is deleted.`);
            if (editing.kind === 'brand' && editing.id === deleting.id) {
              setEditing({ kind: 'default', key: 'default' });
              setOpened(false);
            }
            loaded.reload();
            listHeading.current?.focus();
          }}
        >
          <p>
            {deleting.domains.length > 0 ? `Pages on ${deleting.domains.join(', ')} will show the default brand` : 'Its settings are forgotten'}
            {deleting.groups.length > 0 ? `, and new links of people in ${deleting.groups.join(', ')} will carry the default brand` : ''}. This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
