import { describe, expect, it } from "vitest";
import { createBoundedCheck } from "../src/readiness.ts";

const never = () => new Promise<never>(() => {});

describe("a bounded readiness check", () => {
  it("answers within its bound with the reason while the probe hangs, and starts no second probe meanwhile", async () => {
    let probes = 0;
    const check = createBoundedCheck(
      () => {
        probes++;
        return never();
      },
      { timeoutMs: 50, freshMs: 1000 },
    );
    const started = performance.now();
    const answers = await Promise.all([check(), check(), check()]);
    expect(answers).toEqual(Array(3).fill("no answer within 50 ms"));
    expect(await check()).toBe("no answer within 50 ms");
    expect(probes).toBe(1);
    // Bounded: well under what a hanging probe would take (forever), with room for a busy machine.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("says ok or unavailable from the probe, and reuses a settled answer while it is fresh", async () => {
    let outcome: "ok" | "fail" = "fail";
    let probes = 0;
    const probe = async () => {
      probes++;
      if (outcome === "fail") throw new Error("connection refused");
    };
    const fresh = createBoundedCheck(probe, { timeoutMs: 1000, freshMs: 60_000 });
    expect(await fresh()).toBe("unavailable");
    outcome = "ok";
    expect(await fresh()).toBe("unavailable");
    expect(probes).toBe(1);

    const stale = createBoundedCheck(probe, { timeoutMs: 1000, freshMs: 0 });
    expect(await stale()).toBe("ok");
    outcome = "fail";
    expect(await stale()).toBe("unavailable");
  });
});
