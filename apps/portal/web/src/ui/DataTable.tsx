import { useId, type ReactNode } from 'react';
import './data-table.css';

/** One column of a {@link DataTable}: its header, and what each row shows in it. */
export interface Column<T> {
  readonly header: string;
  readonly cell: (row: T) => ReactNode;
  readonly className?: string;
}

/**
 * A table of records that stacks into labelled blocks on a phone (each cell then shows its column's
 * name, which screen readers already get from the header). The first column names the row: each
 * row action is described by it, so "Revoke" is announced as "Revoke, <name>".
 */
export function DataTable<T>({
  label,
  columns,
  rows,
  rowKey,
  empty,
  actions,
}: {
  label: string;
  columns: ReadonlyArray<Column<T>>;
  rows: readonly T[];
  rowKey: (row: T) => string;
  empty: ReactNode;
  /** The row's buttons; `describedBy` is the id of the row's name cell, for their aria-describedby. */
  actions?: (row: T, describedBy: string) => ReactNode;
}) {
  const id = useId();
  const width = columns.length + (actions ? 1 : 0);
  return (
    <table aria-label={label} className="stack" role="table">
      <thead role="rowgroup">
        <tr role="row">
          {columns.map((c) => (
            <th scope="col" role="columnheader" key={c.header}>
              {c.header}
            </th>
          ))}
          {actions ? (
            <th scope="col" role="columnheader">
              <span className="visually-hidden">Actions</span>
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody role="rowgroup">
        {rows.length === 0 ? (
          <tr role="row">
            <td role="cell" colSpan={width}>
              {empty}
            </td>
          </tr>
        ) : (
          rows.map((row, i) => {
            const nameId = `${id}-name-${String(i)}`;
            return (
              <tr role="row" key={rowKey(row)}>
                {columns.map((c, j) => (
                  <td role="cell" data-label={c.header} key={c.header} id={j === 0 ? nameId : undefined} className={j === 0 ? ['name', c.className].filter(Boolean).join(' ') : c.className}>
                    {c.cell(row)}
                  </td>
                ))}
                {actions ? (
                  <td role="cell" className="row-actions">
                    {actions(row, nameId)}
                  </td>
                ) : null}
              </tr>
            );
          })
        )}
      </tbody>
    </table>
  );
}
