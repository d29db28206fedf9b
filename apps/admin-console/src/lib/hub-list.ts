import { type HubStatus, hubEventTypeNames, hubStatuses } from "@hub/shared/vocabulary";
import type { ResultOf } from "../graphql.ts";
import type { HubRowFields } from "../queries.ts";
import { localDayEnd, localDayStart } from "./time.ts";

/**
 * The hubs page's state is its URL: filters, order and cursor live in the query string, so a view
 * can be bookmarked or shared, and back/forward walk the pages. Unknown or malformed values are
 * dropped (a shared link from a newer console still opens).
 */

export type { HubStatus };
/** The hub statuses (the contract's list; checked both ways against the GraphQL schema's). */
export { hubStatuses };

type SchemaHubStatus = ResultOf<typeof HubRowFields>["status"];
// Fails to compile when the schema and the contract's list of statuses differ.
true satisfies Exclude<SchemaHubStatus, HubStatus> extends never ? true : false;
true satisfies Exclude<HubStatus, SchemaHubStatus> extends never ? true : false;

/** The event types hub-service writes (the schema types them as strings). */
export const hubEventTypes = hubEventTypeNames;

export const hubSorts = {
  "provisioned-desc": { field: "PROVISIONED_AT", direction: "DESC", label: "Newest first" },
  "provisioned-asc": { field: "PROVISIONED_AT", direction: "ASC", label: "Oldest first" },
  "serial-asc": { field: "SERIAL", direction: "ASC", label: "Serial A→Z" },
  "serial-desc": { field: "SERIAL", direction: "DESC", label: "Serial Z→A" },
} as const;
export type HubSort = keyof typeof hubSorts;
export const DEFAULT_SORT: HubSort = "provisioned-desc";
export const PAGE_SIZE = 25;

export type HubFilters = {
  readonly status?: HubStatus;
  /** Presence: connected to AWS IoT now (`true`) or not (`false`); kept as the URL spells it. */
  readonly online?: "true" | "false";
  readonly model?: string;
  readonly vendor?: string;
  readonly org?: string;
  readonly site?: string;
  readonly serial?: string;
  /** `YYYY-MM-DD`, inclusive, in the viewer's zone. */
  readonly from?: string;
  readonly to?: string;
};

export type HubPage = { readonly after: string } | { readonly before: string } | Record<string, never>;

export type HubListState = {
  readonly filters: HubFilters;
  readonly sort: HubSort;
  readonly page: HubPage;
};

const textFilters = ["model", "vendor", "org", "site", "serial"] as const;
const dateFilters = ["from", "to"] as const;
const MAX_TEXT = 200;

function isStatus(value: string): value is HubStatus {
  return (hubStatuses as readonly string[]).includes(value);
}

function isSort(value: string): value is HubSort {
  return Object.hasOwn(hubSorts, value);
}

export function parseHubList(params: URLSearchParams): HubListState {
  const filters: Record<string, string> = {};
  const status = params.get("status");
  if (status && isStatus(status)) filters.status = status;
  const online = params.get("online");
  if (online === "true" || online === "false") filters.online = online;
  for (const key of textFilters) {
    const value = params.get(key)?.trim();
    if (value && value.length <= MAX_TEXT) filters[key] = value;
  }
  for (const key of dateFilters) {
    const value = params.get(key);
    if (value && localDayStart(value) !== null) filters[key] = value;
  }
  const sortParam = params.get("sort");
  const sort = sortParam && isSort(sortParam) ? sortParam : DEFAULT_SORT;
  const after = params.get("after");
  const before = params.get("before");
  const page: HubPage = after ? { after } : before ? { before } : {};
  return { filters: filters as HubFilters, sort, page };
}

/** The query string of a state; defaults are left out, keys in a stable order. */
export function hubListParams(state: HubListState): URLSearchParams {
  const params = new URLSearchParams();
  const { filters } = state;
  if (filters.status) params.set("status", filters.status);
  if (filters.online) params.set("online", filters.online);
  for (const key of [...textFilters, ...dateFilters]) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  if (state.sort !== DEFAULT_SORT) params.set("sort", state.sort);
  if ("after" in state.page) params.set("after", state.page.after);
  if ("before" in state.page) params.set("before", state.page.before);
  return params;
}

/** New filters or order start again at the first page (a cursor belongs to its query). */
export function withFilters(state: HubListState, filters: HubFilters): HubListState {
  return { filters, sort: state.sort, page: {} };
}

export function withSort(state: HubListState, sort: HubSort): HubListState {
  return { filters: state.filters, sort, page: {} };
}

export function nextPage(state: HubListState, endCursor: string): HubListState {
  return { ...state, page: { after: endCursor } };
}

export function previousPage(state: HubListState, startCursor: string): HubListState {
  return { ...state, page: { before: startCursor } };
}

/** Where the page buttons lead from a page the API answered (null: nothing there). */
export function hubListNeighbours(
  state: HubListState,
  pageInfo: {
    hasPreviousPage: boolean;
    hasNextPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  },
): { previous: HubListState | null; next: HubListState | null } {
  return {
    previous:
      pageInfo.hasPreviousPage && pageInfo.startCursor ? previousPage(state, pageInfo.startCursor) : null,
    next: pageInfo.hasNextPage && pageInfo.endCursor ? nextPage(state, pageInfo.endCursor) : null,
  };
}

/** The `hubs` query's variables for a state. */
export function hubListVariables(state: HubListState, pageSize = PAGE_SIZE) {
  const { filters } = state;
  const from = filters.from ? localDayStart(filters.from) : null;
  const to = filters.to ? localDayEnd(filters.to) : null;
  const filter = {
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.online ? { online: filters.online === "true" } : {}),
    ...(filters.model ? { model: filters.model } : {}),
    ...(filters.vendor ? { vendorName: filters.vendor } : {}),
    ...(filters.org ? { orgId: filters.org } : {}),
    ...(filters.site ? { siteId: filters.site } : {}),
    ...(filters.serial ? { serialPrefix: filters.serial } : {}),
    ...(from !== null || to !== null
      ? { provisionedAt: { ...(from !== null ? { from } : {}), ...(to !== null ? { to } : {}) } }
      : {}),
  };
  const { field, direction } = hubSorts[state.sort];
  const paging =
    "before" in state.page
      ? { last: pageSize, before: state.page.before }
      : "after" in state.page
        ? { first: pageSize, after: state.page.after }
        : { first: pageSize };
  return {
    ...(Object.keys(filter).length > 0 ? { filter } : {}),
    orderBy: { field, direction },
    ...paging,
  } as const;
}

export function hasFilters(filters: HubFilters): boolean {
  return Object.values(filters).some((value) => value !== undefined && value !== "");
}
