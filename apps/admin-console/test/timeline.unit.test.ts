import { describe, expect, it } from "vitest";
import {
  newestFirst,
  parseTimeline,
  timelineNeighbours,
  timelineParams,
  timelineVariables,
} from "../src/lib/timeline.ts";

describe("hub timeline paging (newest first over an oldest-first connection)", () => {
  it("opens on the newest events and walks older and newer by cursor", () => {
    expect(timelineVariables(parseTimeline(new URLSearchParams("")))).toEqual({ last: 20 });
    expect(timelineVariables(parseTimeline(new URLSearchParams("older=c1")))).toEqual({
      last: 20,
      before: "c1",
    });
    expect(timelineVariables(parseTimeline(new URLSearchParams("newer=c9")))).toEqual({
      first: 20,
      after: "c9",
    });
    expect(timelineParams({ older: "c1" }).toString()).toBe("older=c1");
  });

  it("offers older only when there is an earlier page and newer only when there is a later one", () => {
    const newest = { hasPreviousPage: true, hasNextPage: false, startCursor: "s", endCursor: "e" };
    expect(timelineNeighbours(newest)).toEqual({ older: { older: "s" }, newer: null });
    const middle = { ...newest, hasNextPage: true };
    expect(timelineNeighbours(middle)).toEqual({ older: { older: "s" }, newer: { newer: "e" } });
    const empty = { hasPreviousPage: false, hasNextPage: false, startCursor: null, endCursor: null };
    expect(timelineNeighbours(empty)).toEqual({ older: null, newer: null });
  });

  it("shows a page newest first without changing the page it was given", () => {
    const edges = [1, 2, 3];
    expect(newestFirst(edges)).toEqual([3, 2, 1]);
    expect(edges).toEqual([1, 2, 3]);
  });
});
