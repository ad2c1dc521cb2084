import type { BrandEntryView } from '../../../api/branding.ts';
import { DataTable } from '../../../ui/DataTable.tsx';

/** A list of names for a cell: one per line, or what an empty list means. */
function names(list: readonly string[], none: string) {
  return list.length === 0 ? (
    <span className="meta">{none}</span>
  ) : (
    <ul className="plain">
      {list.map((n) => (
        <li key={n}>{n}</li>
      ))}
    </ul>
  );
}

/** The brands, the default first: name, domains, IdP groups and order; Edit, and Delete for all but the default. */
export function BrandsTable({ brands, onEdit, onDelete }: { brands: readonly BrandEntryView[]; onEdit: (b: BrandEntryView) => void; onDelete: (b: BrandEntryView) => void }) {
  return (
    <DataTable
      label="Brands"
      rows={brands}
      rowKey={(b) => b.id}
      empty="No brands yet."
      columns={[
        {
          header: 'Name',
          className: 'brand-name',
          cell: (b) => (
            <>
              {b.name}
              {b.isDefault ? <span className="meta sub">Default brand</span> : null}
            </>
          ),
        },
        { header: 'Domains', className: 'brand-list', cell: (b) => names(b.domains, b.isDefault ? 'Every other host name' : 'None') },
        { header: 'IdP groups', className: 'brand-list', cell: (b) => names(b.groups, b.isDefault ? 'Everyone else' : 'None') },
        { header: 'Order', cell: (b) => (b.isDefault ? <span className="meta">When no other brand matches</span> : String(b.position)) },
      ]}
      actions={(b, describedBy) => (
        <>
          <button type="button" className="secondary" aria-describedby={describedBy} onClick={() => onEdit(b)}>
            Edit
          </button>
          {b.isDefault ? null : (
            <button type="button" className="danger-text" aria-describedby={describedBy} onClick={() => onDelete(b)}>
              Delete
            </button>
          )}
        </>
      )}
    />
  );
}
