/// <reference lib="dom" />
/**
 * `npm run bench:console`: the admin console in Chromium against 100,000 hubs, as an admin meets
 * it. The system is started as `npm start` starts it, on a seeded PostgreSQL database
 * (bench/seed-hubs.ts, kept between runs); the browser is Debian's Chromium.
 *
 * Measured per view (default order, a status+model filter, a serial prefix, sorted by serial):
 * - first page: from `page.goto` of the hubs URL (a fresh tab: HTML, JavaScript, the query) until
 *   its 25 rows are in the table;
 * - next page: from the click on "Next page" until the next 25 rows replaced them (10 pages deep),
 *   and "Previous page" back.
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
    const rows = (page: import("playwright-core").Page) => page.locator("table tbody tr td:first-child a");

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

        const page = await context.newPage();
        const started = performance.now();
        await page.goto(`${system.gatewayUrl}/admin/hubs${view.query ? `?${view.query}` : ""}`);
        await rows(page).nth(24).waitFor();
        first.push(performance.now() - started);
        for (let p = 0; p < 10; p += 1) {
          const before = await rows(page).first().textContent();
          const t = performance.now();
          await page.getByRole("button", { name: /Next page/ }).click();
          await page.waitForFunction(
            (text) => document.querySelector("table tbody tr td:first-child a")?.textContent !== text,
            before,
          );
          next.push(performance.now() - t);
        }
        for (let p = 0; p < 3; p += 1) {
          const before = await rows(page).first().textContent();
          const t = performance.now();
          await page.getByRole("button", { name: /Previous page/ }).click();
          await page.waitForFunction(
            (text) => document.querySelector("table tbody tr td:first-child a")?.textContent !== text,
            before,
          );
          previous.push(performance.now() - t);
        }
        await page.close();
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
