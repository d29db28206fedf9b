/// <reference lib="dom" />
/**
 * `npm run bench:console`: the admin console in Chromium against 100,000 hubs, as an admin meets
 * it. The system is started as `npm start` starts it, on a seeded PostgreSQL database
 * (bench/seed-hubs.ts, kept between runs); the browser is Debian's Chromium.
 *
 * Measured per view (default order, a status+model filter, a serial prefix, sorted by serial):
 * - first page: from navigation start of the hubs URL in a new browser context (empty cache: HTML,
 *   JavaScript, CSS, the query) to the frame after its 25th row appeared;
 * - next page: from the click on "Next page" to the frame after the next rows replaced them (10
 *   pages deep), and "Previous page" back (3). Both timed inside the page (performance.now()).
 * Baseline in the same run: the very same GraphQL query sent by Node's fetch (gateway → hub-service
 * → PostgreSQL, no browser), so the ratio is what the browser and the console add.
 * Also: the built JavaScript's gzipped size. Results: a table and JSON on stdout and bench/results/.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { repoRoot } from "@hub/test-support";
import { launchChromium } from "../apps/admin-console/test/e2e/browser.ts";
import { startConsoleSystem } from "../apps/admin-console/test/e2e/system.ts";
import { percentile } from "./lib/load.ts";
import { DEFAULT_SERVER_URL, databaseExists, databaseUrl, seedHubsDatabase } from "./seed-hubs.ts";

const { values: flags } = parseArgs({
  options: {
    hubs: { type: "string", default: "100000" },
    repeats: { type: "string", default: "10" },
    reseed: { type: "boolean", default: false },
    "database-url": { type: "string", default: DEFAULT_SERVER_URL },
  },
});
const hubCount = Number(flags.hubs);
const repeats = Number(flags.repeats);
const server = flags["database-url"];
const database = `hub_bench_console_${hubCount}`;

const views = [
  { name: "default order", query: "" },
  { name: "status + model", query: "status=Claimed&model=HUB-3" },
  { name: "serial prefix", query: "serial=SN00" },
  { name: "by serial A→Z", query: "sort=serial-asc" },
];

const HUBS_QUERY = `query ConsoleHubs($filter: HubFilter, $orderBy: HubOrder, $first: Int) {
  hubs(filter: $filter, orderBy: $orderBy, first: $first) { edges { cursor node { id serial model vendorName status orgId siteId isPrimary provisionedAt } } pageInfo { hasNextPage endCursor } } }`;

function stats(values: number[]) {
  return {
    p50: Math.round(percentile(values, 0.5)),
    p95: Math.round(percentile(values, 0.95)),
    max: Math.round(Math.max(...values)),
  };
}

/**
 * One page turn timed inside the page: from the click event (capture phase) to the frame after
 * the table's first row changed (so Playwright's own round trips are not counted).
 */
async function timePageTurn(page: import("playwright-core").Page, button: RegExp): Promise<number> {
  // A string, not a function: tsx's name-keeping helper (__name) does not exist in the page.
  await page.evaluate(`(() => {
    const firstRow = () => document.querySelector("table tbody tr td:first-child a")?.textContent ?? null;
    const before = firstRow();
    window.__turn = new Promise((resolve) => {
      let clicked = 0;
      document.addEventListener("click", () => { clicked = performance.now(); }, { capture: true, once: true });
      const observer = new MutationObserver(() => {
        const now = firstRow();
        if (clicked && now !== null && now !== before) {
          observer.disconnect();
          requestAnimationFrame(() => resolve(performance.now() - clicked));
        }
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  })()`);
  await page.getByRole("button", { name: button }).click();
  return (await page.evaluate("window.__turn")) as number;
}

async function main() {
  if (flags.reseed || !(await databaseExists(server, database))) {
    console.log(`seeding ${hubCount} hubs into ${database} …`);
    await seedHubsDatabase({ serverUrl: server, database, hubs: hubCount, log: (m) => console.log(m) });
  }
  const system = await startConsoleSystem({ databaseUrl: databaseUrl(server, database) });
  const browser = await launchChromium();
  const results: Record<string, unknown>[] = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const signIn = await context.newPage();
    await signIn.goto(system.signInLink);
    await signIn.getByRole("heading", { name: "Hubs", level: 1 }).waitFor();
    const adminToken = new URL(system.signInLink).hash.slice("#token=".length);

    for (const view of views) {
      const first: number[] = [];
      const next: number[] = [];
      const previous: number[] = [];
      const baseline: number[] = [];
      for (let r = 0; r < repeats; r += 1) {
        // Baseline: the same query, straight from Node.
        const variables = {
          first: 25,
          orderBy: view.query.includes("serial-asc")
            ? { field: "SERIAL", direction: "ASC" }
            : { field: "PROVISIONED_AT", direction: "DESC" },
          ...(view.query.includes("status")
            ? { filter: { status: "Claimed", model: "HUB-3" } }
            : view.query.includes("serial=")
              ? { filter: { serialPrefix: "SN00" } }
              : {}),
        };
        const t0 = performance.now();
        const response = await fetch(`${system.gatewayUrl}/graphql`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${adminToken}`,
            "x-request-id": randomUUID(),
          },
          body: JSON.stringify({ query: HUBS_QUERY, variables }),
        });
        await response.json();
        baseline.push(performance.now() - t0);

        // A cold start: a new browser context (empty cache and storage), signed in by the link's
        // fragment. Timed inside the page: from navigation start (performance.now() is relative
        // to it) to the frame after the 25th row was added.
        const cold = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        await cold.addInitScript(`
          window.__firstPage = new Promise((resolve) => {
            const observer = new MutationObserver(() => {
              if (document.querySelector("table tbody tr:nth-child(25)")) {
                observer.disconnect();
                requestAnimationFrame(() => resolve(performance.now()));
              }
            });
            observer.observe(document, { subtree: true, childList: true });
          });
        `);
        const page = await cold.newPage();
        await page.goto(
          `${system.gatewayUrl}/admin/hubs${view.query ? `?${view.query}` : ""}#token=${adminToken}`,
        );
        first.push(
          await page.evaluate(() => (window as unknown as { __firstPage: Promise<number> }).__firstPage),
        );
        for (let p = 0; p < 10; p += 1) next.push(await timePageTurn(page, /Next page/));
        for (let p = 0; p < 3; p += 1) previous.push(await timePageTurn(page, /Previous page/));
        await cold.close();
      }
      const row = {
        view: view.name,
        baselineQueryMs: stats(baseline),
        firstPageMs: stats(first),
        nextPageMs: stats(next),
        previousPageMs: stats(previous),
        nextPageRatio: Number((percentile(next, 0.5) / percentile(baseline, 0.5)).toFixed(2)),
      };
      results.push(row);
      console.log(
        `${view.name.padEnd(16)} baseline p50 ${row.baselineQueryMs.p50} ms | first page p50 ${row.firstPageMs.p50} p95 ${row.firstPageMs.p95} max ${row.firstPageMs.max} ms | next p50 ${row.nextPageMs.p50} p95 ${row.nextPageMs.p95} max ${row.nextPageMs.max} ms | previous p50 ${row.previousPageMs.p50} ms | next/baseline ${row.nextPageRatio}×`,
      );
    }
  } finally {
    await browser.close();
    await system.stop();
  }
  const assets = path.join(repoRoot, "apps/admin-console/dist/assets");
  let gzipped = 0;
  for (const name of (await readdir(assets)).filter((n) => n.endsWith(".js"))) {
    gzipped += gzipSync(await readFile(path.join(assets, name))).length;
  }
  console.log(`built JavaScript: ${(gzipped / 1024).toFixed(1)} kB gzipped (budget 250 kB)`);
  const summary = {
    hubs: hubCount,
    repeats,
    machine: { cpus: os.cpus().length, load: os.loadavg() },
    javascriptGzipBytes: gzipped,
    views: results,
  };
  console.log(JSON.stringify(summary));
  const dir = path.join(repoRoot, "bench/results");
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `console-${Date.now()}.json`), JSON.stringify(summary, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
