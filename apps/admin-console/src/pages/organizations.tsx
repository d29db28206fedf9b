import { type FormEvent, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { ApiError, Loading } from "../components/api-error.tsx";
import { Field } from "../components/fields.tsx";
import { OrgName } from "../components/org-name.tsx";
import { Pager } from "../components/pager.tsx";
import { ScrollTable } from "../components/scroll-table.tsx";
import { Timestamp } from "../components/timestamp.tsx";
import { problemOf } from "../lib/org-messages.ts";
import { CreateOrganizationMutation, OrganizationsQuery } from "../lib/org-queries.ts";
import { useDocumentTitle } from "../lib/use-document-title.ts";

const PAGE = 50;

/** Organizations by name, keyset pages (`?after=` is the page's start), and a form creating one. */
export function OrganizationsPage() {
  useDocumentTitle("Organizations");
  const [params, setParams] = useSearchParams();
  const after = params.get("after") ?? undefined;
  const [result, reexecute] = useQuery({
    query: OrganizationsQuery,
    variables: { first: PAGE, ...(after ? { after } : {}) },
  });
  const [created, create] = useMutation(CreateOrganizationMutation);
  const [problem, setProblem] = useState<string | null>(null);
  const navigate = useNavigate();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get("name") ?? "").trim();
    if (!name) {
      setProblem("Give the organization a name.");
      return;
    }
    const answer = await create({ name });
    const org = answer.data?.createOrganization;
    const failed = problemOf(org, "Organization");
    if (failed) setProblem(failed.text);
    else if (org && org.__typename === "Organization") navigate(`/organizations/${org.id}`);
  }

  const connection = result.data?.organizations;
  const next = connection?.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
  return (
    <>
      <h1>Organizations</h1>
      <form className="filters org-create" onSubmit={submit} aria-label="New organization" noValidate>
        <Field label="New organization's name">
          {(id) => (
            <input
              id={id}
              name="name"
              type="text"
              autoComplete="off"
              maxLength={200}
              required
              aria-invalid={problem ? true : undefined}
            />
          )}
        </Field>
        <div className="actions">
          <button type="submit" disabled={created.fetching}>
            Create organization
          </button>
        </div>
        {problem ? (
          <p className="field-error" role="alert">
            {problem}
          </p>
        ) : null}
      </form>
      {created.error ? <ApiError error={created.error} /> : null}
      {result.error ? <ApiError error={result.error} onRetry={() => reexecute()} /> : null}
      {result.fetching && !connection ? <Loading what="organizations" /> : null}
      {connection ? (
        connection.edges.length === 0 ? (
          <p className="empty" role="status">
            No organizations yet: create the first one above.
          </p>
        ) : (
          <ScrollTable
            label="Organizations table"
            caption="Organizations by name"
            columns={["Name", "Hubs", "Created"]}
            busy={result.fetching}
          >
            {connection.edges.map(({ node }) => (
              <tr key={node.id} data-org-row={node.id}>
                <td>
                  <OrgName id={node.id} org={node} />
                </td>
                <td data-testid="hub-count">
                  <Link to={`/organizations/${node.id}?tab=hubs`}>{node.hubCount}</Link>
                </td>
                <td>
                  <Timestamp ms={node.createdAt} />
                </td>
              </tr>
            ))}
          </ScrollTable>
        )
      ) : null}
      <Pager
        label="Organization pages"
        go={setParams}
        back={{ label: "← First page", to: after ? new URLSearchParams() : null }}
        forward={{ label: "Next page →", to: next ? new URLSearchParams({ after: next }) : null }}
      />
    </>
  );
}
