/**
 * A hub's timeline is shown newest first, while the API pages a hub's events oldest first. The
 * newest page is `last: N`; older is `last: N, before: <start>`, newer `first: N, after: <end>`.
 * The cursor is in the URL (`older` / `newer`), so a page of history can be linked.
 */
export const TIMELINE_PAGE = 20;

export type TimelinePage = { readonly older: string } | { readonly newer: string } | Record<string, never>;

export function parseTimeline(params: URLSearchParams): TimelinePage {
  const older = params.get("older");
  const newer = params.get("newer");
  return older ? { older } : newer ? { newer } : {};
}

export function timelineVariables(page: TimelinePage, size = TIMELINE_PAGE) {
  if ("older" in page) return { last: size, before: page.older } as const;
  if ("newer" in page) return { first: size, after: page.newer } as const;
  return { last: size } as const;
}

export function timelineParams(page: TimelinePage): URLSearchParams {
  const params = new URLSearchParams();
  if ("older" in page) params.set("older", page.older);
  if ("newer" in page) params.set("newer", page.newer);
  return params;
}

type PageInfo = {
  readonly hasPreviousPage: boolean;
  readonly hasNextPage: boolean;
  readonly startCursor: string | null;
  readonly endCursor: string | null;
};

/** Where the "Older" and "Newer" buttons lead (null: there is nothing there). */
export function timelineNeighbours(pageInfo: PageInfo): {
  older: TimelinePage | null;
  newer: TimelinePage | null;
} {
  return {
    older: pageInfo.hasPreviousPage && pageInfo.startCursor ? { older: pageInfo.startCursor } : null,
    newer: pageInfo.hasNextPage && pageInfo.endCursor ? { newer: pageInfo.endCursor } : null,
  };
}

/** Newest first for display. */
export function newestFirst<T>(edges: readonly T[]): T[] {
  return [...edges].reverse();
}
