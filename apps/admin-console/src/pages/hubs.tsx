import { type FormEvent, useEffect, useRef } from "react";
import { Link, useSearchParams } from "react-router";
import { useQuery } from "urql";
import { ApiError, Loading } from "../components/api-error.tsx";
import { AnyOf, Field } from "../components/fields.tsx";
import { OrgName } from "../components/org-name.tsx";
import { Pager } from "../components/pager.tsx";
import { ScrollTable } from "../components/scroll-table.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { Timestamp } from "../components/timestamp.tsx";
import {
  type HubSort,
  hasFilters,
  hubListNeighbours,
  hubListParams,
  hubListVariables,
  hubSorts,
  hubStatuses,
  parseHubList,
  withFilters,
  withSort,
} from "../lib/hub-list.ts";
import { useDocumentTitle } from "../lib/use-document-title.ts";
import { HubsQuery } from "../queries.ts";

const textFields = [
  { name: "serial", label: "Serial starts with" },
  { name: "model", label: "Model" },
  { name: "vendor", label: "Vendor" },
  { name: "org", label: "Organization" },
  { name: "site", label: "Site" },
] as const;

const HUB_COLUMNS = ["Serial", "Status", "Model", "Vendor", "Organization", "Site", "Primary", "Provisioned"];

export function HubsPage() {
  useDocumentTitle("Hubs");
  const [params, setParams] = useSearchParams();
  const state = parseHubList(params);
  const [result, reexecute] = useQuery({ query: HubsQuery, variables: hubListVariables(state) });
  const formRef = useRef<HTMLFormElement>(null);
  const stateKey = params.toString();

  // The form shows what the URL says (back/forward, a shared link).
  useEffect(() => {
    const form = formRef.current;
    if (!form) return;
    const current = parseHubList(new URLSearchParams(stateKey));
    for (const element of Array.from(form.elements)) {
      if (element instanceof HTMLInputElement || element instanceof HTMLSelectElement) {
        if (element.name === "sort") element.value = current.sort;
        else element.value = (current.filters as Record<string, string | undefined>)[element.name] ?? "";
      }
    }
  }, [stateKey]);

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const raw = new URLSearchParams();
    for (const [key, value] of data) if (typeof value === "string" && value.trim()) raw.set(key, value);
    const parsed = parseHubList(raw);
    setParams(hubListParams(withSort(withFilters(state, parsed.filters), parsed.sort)));
  }

  function clear() {
    setParams(hubListParams(withFilters(state, {})));
  }

  const connection = result.data?.hubs;
  const pageInfo = connection?.pageInfo;
  const around = pageInfo ? hubListNeighbours(state, pageInfo) : null;
  const filtered = hasFilters(state.filters);

  return (
    <>
      <h1>Hubs</h1>
      <form ref={formRef} className="filters" onSubmit={apply} aria-label="Filter hubs">
        <Field label="Status">
          {(id) => (
            <select id={id} name="status" defaultValue={state.filters.status ?? ""}>
              <AnyOf values={hubStatuses} />
            </select>
          )}
        </Field>
        <Field label="Presence">
          {(id) => (
            <select id={id} name="online" defaultValue={state.filters.online ?? ""}>
              <option value="">Any</option>
              <option value="true">Online</option>
              <option value="false">Offline</option>
            </select>
          )}
        </Field>
        {textFields.map((field) => (
          <Field label={field.label} key={field.name}>
            {(id) => (
              <input
                id={id}
                name={field.name}
                type="search"
                autoComplete="off"
                spellCheck={false}
                maxLength={200}
                defaultValue={state.filters[field.name] ?? ""}
              />
            )}
          </Field>
        ))}
        <Field label="Provisioned from">
          {(id) => <input id={id} name="from" type="date" defaultValue={state.filters.from ?? ""} />}
        </Field>
        <Field label="Provisioned until (inclusive)">
          {(id) => <input id={id} name="to" type="date" defaultValue={state.filters.to ?? ""} />}
        </Field>
        <Field label="Order">
          {(id) => (
            <select id={id} name="sort" defaultValue={state.sort}>
              {(Object.keys(hubSorts) as HubSort[]).map((sort) => (
                <option key={sort} value={sort}>
                  {hubSorts[sort].label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="actions">
          <button type="submit">Apply</button>
          <button type="button" className="secondary" onClick={clear} disabled={!filtered}>
            Clear filters
          </button>
        </div>
      </form>

      {result.error ? (
        <>
          <ApiError error={result.error} onRetry={() => reexecute()} />
          {"after" in state.page || "before" in state.page ? (
            // A cursor from an old link (or another order) can no longer be read: start over.
            <button
              type="button"
              className="secondary"
              onClick={() => setParams(hubListParams(withFilters(state, state.filters)))}
            >
              Go to the first page
            </button>
          ) : null}
        </>
      ) : null}
      {result.fetching && !connection ? <Loading what="hubs" /> : null}
      {connection ? (
        connection.edges.length === 0 ? (
          <p className="empty" role="status">
            {filtered ? "No hubs match these filters." : "No hubs yet: provision one and it appears here."}
          </p>
        ) : (
          <ScrollTable
            label="Hubs table"
            caption={`Hubs, ${hubSorts[state.sort].label.toLowerCase()}`}
            columns={HUB_COLUMNS}
            busy={result.fetching}
          >
            {connection.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>
                  <Link to={`/hubs/${node.id}`}>{node.serial}</Link>
                </td>
                <td>
                  <StatusBadge status={node.status} />
                </td>
                <td>{node.model}</td>
                <td>{node.vendorName ?? <span className="muted">—</span>}</td>
                <td>
                  <OrgName id={node.orgId} org={node.organization} copy={false} />
                </td>
                <td>{node.siteId ?? <span className="muted">—</span>}</td>
                <td>{node.isPrimary ? "Yes" : "No"}</td>
                <td>
                  <Timestamp ms={node.provisionedAt} />
                </td>
              </tr>
            ))}
          </ScrollTable>
        )
      ) : null}
      <Pager
        label="Hub pages"
        go={setParams}
        back={{ label: "← Previous page", to: around?.previous ? hubListParams(around.previous) : null }}
        forward={{ label: "Next page →", to: around?.next ? hubListParams(around.next) : null }}
      />
    </>
  );
}
