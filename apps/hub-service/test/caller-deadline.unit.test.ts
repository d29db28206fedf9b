import { describe, expect, it } from "vitest";
import { callDeadline } from "../src/trpc/caller.ts";

// The deadline hub-service holds a call to, on its own clock: the earliest of the caller's
// deadline instant (+ the clock-skew allowance), the caller's remaining budget from arrival, and
// the HTTP request's own deadline header (+ allowance, added when the header is read).
const arrivedAt = 1_000_000;
const ctx = (deadline?: number) => ({ arrivedAt, deadline, clockSkewMs: 250 });

describe("callDeadline", () => {
  it("nothing given: no deadline", () => {
    expect(callDeadline(ctx(), undefined)).toBeUndefined();
    expect(callDeadline(ctx(), {})).toBeUndefined();
  });

  it("clocks agree, a quick transit: the budget from arrival, a little after the caller's instant", () => {
    // Sent 5 ms before arrival with 9,500 ms to spare.
    expect(callDeadline(ctx(), { deadlineAt: arrivedAt - 5 + 9500, budgetMs: 9500 })).toBe(arrivedAt + 9500);
  });

  it("held in transit past the allowance: the caller's instant + allowance, already past on arrival", () => {
    // Sent 6 s before arrival with 4 s to spare: its instant was 2 s ago.
    const deadline = callDeadline(ctx(), { deadlineAt: arrivedAt - 2000, budgetMs: 4000 });
    expect(deadline).toBe(arrivedAt - 1750);
    expect(deadline).toBeLessThan(arrivedAt);
  });

  it("a caller clock ahead of ours cannot extend the deadline past its budget from arrival", () => {
    expect(callDeadline(ctx(), { deadlineAt: arrivedAt + 60_000, budgetMs: 3000 })).toBe(arrivedAt + 3000);
  });

  it("a caller clock behind ours shortens it by the skew beyond the allowance", () => {
    // The caller's clock reads 1 s behind ours: its instant lands 1 s early on our clock.
    expect(callDeadline(ctx(), { deadlineAt: arrivedAt - 1000 + 3000, budgetMs: 3000 })).toBe(
      arrivedAt + 2250,
    );
  });

  it("only one of them: that one", () => {
    expect(callDeadline(ctx(), { budgetMs: 3000 })).toBe(arrivedAt + 3000);
    expect(callDeadline(ctx(), { deadlineAt: arrivedAt + 3000 })).toBe(arrivedAt + 3250);
    expect(callDeadline(ctx(arrivedAt + 700), undefined)).toBe(arrivedAt + 700);
  });

  it("the HTTP request's deadline bounds every call in it", () => {
    expect(callDeadline(ctx(arrivedAt + 700), { deadlineAt: arrivedAt + 3000, budgetMs: 3000 })).toBe(
      arrivedAt + 700,
    );
  });
});
