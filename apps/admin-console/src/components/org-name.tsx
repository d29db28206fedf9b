import { Link } from "react-router";
import { CopyButton } from "./secret-panel.tsx";

/**
 * An organization as people know it: its name, linking to its page, with its id on hover and a
 * button copying the id. Without a name (not visible to this caller, or not loaded) the id itself.
 */
export function OrgName({
  id,
  org,
  copy = true,
}: {
  id: string | null | undefined;
  org?: { readonly id: string; readonly name: string } | null;
  copy?: boolean;
}) {
  if (!id) return <span className="muted">—</span>;
  const name = org?.name ?? id;
  return (
    <span className="org-name">
      <Link to={`/organizations/${id}`} title={`Organization id: ${id}`} data-org-id={id}>
        {name}
      </Link>
      {copy ? (
        <CopyButton text={id} label={`Copy the organization id of ${name}`}>
          Copy id
        </CopyButton>
      ) : null}
    </span>
  );
}
