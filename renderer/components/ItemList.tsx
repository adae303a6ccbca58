// The list on the Sources, Channels and Rules pages (and Rules → Muted): one table, a row
// per item, its name and what it is, the page's own cells, and the row's actions with
// accessible names that say which item they act on. Pages pass what differs.
import type { ReactNode } from 'react';
import { ConfirmButton } from './buttons.js';

export interface ItemColumn<T> {
  header: ReactNode;
  /** Both the header's and the cells' class (`num` right-aligns). */
  className?: string;
  cell(item: T, index: number): ReactNode;
  /** The cells' class instead of `className`, or one that depends on the item (a failed count in red). */
  cellClassName?: string | ((item: T) => string | undefined);
}

export interface ItemListProps<T> {
  /** Plural, for the load error: "Could not load sources: …". */
  what: string;
  items: readonly T[] | undefined;
  error?: Error | undefined;
  /** Shown when there are no items; undefined shows nothing (the page is adding one). */
  empty?: ReactNode;
  columns: ReadonlyArray<ItemColumn<T>>;
  itemKey(item: T): string;
  /** The row's attributes: the `data-…-id` tests and scripts find it by, a class. */
  rowProps?(item: T): Record<`data-${string}`, string> & { className?: string | undefined };
  /** The last cell. */
  actions(item: T, index: number): ReactNode;
  className?: string;
}

export function ItemList<T>(props: ItemListProps<T>) {
  const { items } = props;
  return (
    <>
      {props.error && (
        <p className="error-text" role="alert">
          Could not load {props.what}: {props.error.message}
        </p>
      )}
      {items && items.length === 0 && props.empty}
      {items && items.length > 0 && (
        <table className={props.className ?? 'table'}>
          <thead>
            <tr>
              {props.columns.map((column, i) => (
                <th key={i} scope="col" className={column.className}>
                  {column.header}
                </th>
              ))}
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((item, index) => (
              <tr key={props.itemKey(item)} {...props.rowProps?.(item)}>
                {props.columns.map((column, i) => (
                  <td key={i} className={cellClass(column, item)}>
                    {column.cell(item, index)}
                  </td>
                ))}
                <td className="actions">{props.actions(item, index)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function cellClass<T>(column: ItemColumn<T>, item: T): string | undefined {
  if (column.cellClassName === undefined) return column.className;
  return typeof column.cellClassName === 'string' ? column.cellClassName : column.cellClassName(item);
}

/** The first cell: the item's name, and below it what it is (`ci · github`, a rule's filters). */
export function ItemTitle(props: { name: string; detail: ReactNode; detailClassName?: string }) {
  return (
    <>
      <div className="cell-title">{props.name}</div>
      <div className={`muted mono${props.detailClassName ? ` ${props.detailClassName}` : ''}`}>{props.detail}</div>
    </>
  );
}

/** A row action besides edit and delete ("Test", "Pause", "Lift"): its accessible name says which item. */
export interface RowAction {
  label: string;
  ariaLabel: string;
  onClick(): void;
  /** While it runs: `busyLabel` instead of `label`, and clicks do nothing (aria-disabled, not disabled: a disabled button drops the keyboard focus it has). */
  busy?: boolean;
  busyLabel?: string;
  disabled?: boolean;
  /** An arrow or another one-character label. */
  icon?: boolean;
}

/**
 * The row's buttons in the order every list uses: its own actions, Edit, then Delete
 * (which asks once more in place). Accessible names: "Edit <name>", "Delete <name>".
 */
export function ItemActions(props: { name: string; actions?: ReadonlyArray<RowAction | false | undefined>; onEdit?(): void; onDelete?(): void | Promise<void> }) {
  const { name } = props;
  return (
    <>
      {props.actions?.map(
        (action) =>
          action && (
            <button
              key={action.ariaLabel}
              type="button"
              className={`btn btn--small${action.icon ? ' btn--icon' : ''}`}
              aria-label={action.ariaLabel}
              disabled={action.disabled}
              aria-disabled={action.busy || undefined}
              onClick={() => {
                if (!action.busy) action.onClick();
              }}
            >
              {action.busy && action.busyLabel ? action.busyLabel : action.label}
            </button>
          ),
      )}
      {props.onEdit && (
        <button type="button" className="btn btn--small" aria-label={`Edit ${name}`} onClick={props.onEdit}>
          Edit
        </button>
      )}
      {props.onDelete && <ConfirmButton label="Delete" ariaLabel={`Delete ${name}`} className="btn btn--small btn--danger-ghost" onConfirm={props.onDelete} />}
    </>
  );
}
