import type { ReactNode } from "react";

/**
 * A table in a labelled region that takes the keyboard focus, so a table wider than the screen
 * scrolls sideways with the arrow keys; its caption is for screen readers only and its columns
 * are plain column headers. `children` are the body's rows.
 */
export function ScrollTable(props: {
  label: string;
  caption: string;
  columns: readonly string[];
  className?: string;
  busy?: boolean;
  children: ReactNode;
}) {
  return (
    <div className="table-scroll" role="region" aria-label={props.label} tabIndex={0}>
      <table className={props.className} aria-busy={props.busy}>
        <caption className="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
