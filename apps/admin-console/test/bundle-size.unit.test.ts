import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

const dist = path.resolve(import.meta.dirname, "../dist");
/** The console's budget: all of its JavaScript, gzipped. */
const BUDGET_BYTES = 250 * 1024;

describe("the built console", () => {
  it("ships at most 250 kB of gzipped JavaScript, referenced from index.html by hashed name", () => {
    const index = readFileSync(path.join(dist, "index.html"), "utf8");
    const scripts = readdirSync(path.join(dist, "assets")).filter((name) => name.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(0);
    const total = scripts.reduce(
      (sum, name) => sum + gzipSync(readFileSync(path.join(dist, "assets", name))).length,
      0,
    );
    expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
    const entry = /<script type="module" crossorigin src="\/admin\/assets\/(index-[\w-]+\.js)">/.exec(index);
    expect(entry?.[1] && scripts.includes(entry[1])).toBe(true);
    // The strict CSP allows no inline script or style.
    expect(index).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(index).not.toMatch(/<style|style="/);
  });
});
