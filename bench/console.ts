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
 * Measured per page (the Overview landing page, the Organizations list, the organization "Partner
 * 01" with its hubs): the first render, from navigation start in a new browser context to the
 * frame after the page's data was drawn; its baseline is the page's own GraphQL document, imported
 * from the console and sent by Node's fetch. Target: p95 ≤ 1 s at 100,000 hubs.
 * Also: the built JavaScript's gzipped size. Results: a table and JSON on stdout and bench/results/.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { repoRoot } from "@hub/test-support";
import { type DocumentNode, print } from "graphql";
import pg from "pg";
import { launchChromium } from "../apps/admin-console/test/e2e/browser.ts";
import { startConsoleSystem } from "../apps/admin-console/test/e2e/system.ts";
import { benchFlags } from "./lib/flags.ts";
import { percentile } from "./lib/load.ts";
import {
  DEFAULT_SERVER_URL,
  databaseExists,
  databaseUrl,
  dropBenchDatabase,
  seedHubsDatabase,
} from "./seed-hubs.ts";

const HELP = `npm run bench:console -- [flags]
  --hubs <n>            hubs in the seeded database hub_bench_console_<n> (default 100000; kept)
  --repeats <n>         first page and page turns per view (default 10)
  --reseed              seed the database again even if it exists
  --database-url <url>  PostgreSQL server (default ${DEFAULT_SERVER_URL})
  --smoke               seconds-long check that the bench works: 10,000 hubs seeded afresh into
                        hub_bench_smoke_console_10000 (dropped at the end), every view once (first
                        page, 2 pages forward, 1 back, the baseline query; flags above still
                        apply); exits non-zero if the system or Chromium does not start, a query
                        fails, a page does not render its rows (30 s bound) or the page reports an
                        error; no targets checked
Chromium: /usr/bin/chromium, or CHROMIUM_PATH.`;

const flags = benchFlags(HELP, {
  hubs: { type: "string" },
  repeats: { type: "string" },
  reseed: { type: "boolean", default: false },
  "database-url": { type: "string", default: DEFAULT_SERVER_URL },
});
const smoke = flags.smoke;
// A smoke run needs at least three pages of 25 in every view: the serial prefix SN00 matches ~1%.
const hubCount = Number(flags.hubs ?? (smoke ? 10_000 : 100_000));
const repeats = Number(flags.repeats ?? (smoke ? 1 : 10));
const pageTurns = smoke ? { next: 2, previous: 1 } : { next: 10, previous: 3 };
const server = flags["database-url"];
// A smoke run's database is its own (never the real runs' cached one) and is dropped at the end.
const database = `hub_bench_${smoke ? "smoke_" : ""}console_${hubCount}`;
/** How long a smoke run waits for a page to render (the real run waits as long as it takes). */
const SMOKE_WAIT_MS = 30_000;

/** In a smoke run, `promise` or an error after SMOKE_WAIT_MS; otherwise `promise` itself. */
function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  if (!smoke) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: nothing after ${SMOKE_WAIT_MS / 1000} s`)),
      SMOKE_WAIT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const views = [
  { name: "default order", query: "" },
  { name: "status + model", query: "status=Claimed&model=HUB-3" },
  { name: "serial prefix", query: "serial=SN00" },
  { name: "by serial A→Z", query: "sort=serial-asc" },
];

const HUBS_QUERY = `query ConsoleHubs($filter: HubFilter, $orderBy: HubOrder, $first: Int) {
  hubs(filter: $filter, orderBy: $orderBy, first: $first) { edges { cursor node { id serial model vendorName status orgId siteId isPrimary provisionedAt } } pageInfo { hasNextPage endCursor } } }`;

/** The seed's first organization ("Partner 01"): ~1.5% of the hubs are claimed into it. */
const PARTNER_01 = "00000000-0000-4000-8000-000000000000";
/** The first-render target of every page (issue: ≤ 1 s at 100,000 hubs). */
const FIRST_RENDER_TARGET_MS = 1000;

/**
 * One of the console's own documents as text, loaded at run time: its types come from the
 * console's generated schema types (graphql-env.d.ts), which the repository-wide typecheck of
 * bench/ does not wait for.
 */
async function consoleDocument(file: string, name: string): Promise<string> {
  const module = (await import(path.join(repoRoot, "apps/admin-console/src/lib", file))) as Record<
    string,
    DocumentNode | undefined
  >;
  const document = module[name];
  if (!document) throw new Error(`the console's ${file} exports no ${name}`);
  return print(document);
}

/**
 * The pages without a hub table of 25 rows: each is ready when `ready` matches (its data drawn).
 * The baseline is the page's own GraphQL document from Node.
 */
const pages = [
  {
    name: "overview",
    path: "/",
    ready: '[data-count="total"]',
    query: await consoleDocument("overview-query.ts", "FleetOverviewQuery"),
    variables: {},
  },
  {
    name: "organizations",
    path: "/organizations",
    // The seed's 20 organizations, all on the first page.
    ready: "table tbody tr:nth-child(20)",
    query: await consoleDocument("org-queries.ts", "OrganizationsQuery"),
    variables: { first: 50 },
  },
  {
    name: "organization",
    path: `/organizations/${PARTNER_01}`,
    ready: 'section[aria-labelledby="org-hubs-title"] table tbody tr:nth-child(20)',
    query: await consoleDocument("org-queries.ts", "OrganizationQuery"),
    variables: { id: PARTNER_01, hubOrg: PARTNER_01, hubs: true, keys: false, webhooks: false },
  },
] as const;

/** A database seeded before the organizations were part of the seed has none: seed it again. */
async function hasOrganizations(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM organizations");
    return Number(rows[0]?.n) >= 20;
  } catch {
    return false;
  } finally {
    await client.end();
  }
}

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
  return (await bounded(page.evaluate("window.__turn"), `page turn (${button.source})`)) as number;
}

/** One GraphQL request from Node, timed; a smoke run fails on an error answer. */
async function timeQuery(
  gatewayUrl: string,
  token: string,
  query: string,
  variables: Record<string, unknown>,
  check: (data: Record<string, unknown> | undefined) => boolean,
  what: string,
): Promise<number> {
  const t0 = performance.now();
  const response = await fetch(`${gatewayUrl}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${token}`,
      "x-request-id": randomUUID(),
    },
    body: JSON.stringify({ query, variables }),
  });
  const answer = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  const elapsed = performance.now() - t0;
  if (smoke && (response.status !== 200 || answer.errors || !check(answer.data))) {
    throw new Error(
      `${what}: the baseline query answered ${response.status} ${JSON.stringify(answer).slice(0, 300)}`,
    );
  }
  return elapsed;
}

/**
 * A cold start of `url`: a new browser context (empty cache and storage), signed in by the link's
 * fragment, timed inside the page from navigation start (performance.now() is relative to it) to
 * the frame after `ready` first matched.
 */
async function timeFirstRender(
  browser: import("playwright-core").Browser,
  url: string,
  ready: string,
  what: string,
  watch: (page: import("playwright-core").Page) => void,
  then?: (page: import("playwright-core").Page) => Promise<void>,
): Promise<number> {
  const cold = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await cold.addInitScript(`
    window.__firstRender = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (document.querySelector(${JSON.stringify(ready)})) {
          observer.disconnect();
          requestAnimationFrame(() => resolve(performance.now()));
        }
      });
      observer.observe(document, { subtree: true, childList: true });
    });
  `);
  try {
    const page = await cold.newPage();
    watch(page);
    await page.goto(url);
    const ms = await bounded(
      page.evaluate(() => (window as unknown as { __firstRender: Promise<number> }).__firstRender),
      `${what}: first render`,
    );
    await then?.(page);
    return ms;
  } finally {
    await cold.close();
  }
}

async function main() {
  try {
    await run();
  } finally {
    if (smoke) {
      await dropBenchDatabase(server, database);
      console.log(`dropped ${database}`);
    }
  }
}

async function run() {
  if (
    smoke ||
    flags.reseed ||
    !(await databaseExists(server, database)) ||
    !(await hasOrganizations(databaseUrl(server, database)))
  ) {
    console.log(`seeding ${hubCount} hubs into ${database} …`);
    await seedHubsDatabase({ serverUrl: server, database, hubs: hubCount, log: (m) => console.log(m) });
  }
  const system = await startConsoleSystem({ databaseUrl: databaseUrl(server, database) });
  const browser = await launchChromium().catch(async (error: unknown) => {
    await system.stop();
    throw error;
  });
  const results: Record<string, unknown>[] = [];
  const pageResults: Record<string, unknown>[] = [];
  /** Smoke: what the pages reported (uncaught exceptions, console errors); any of them fails the run. */
  const pageErrors: string[] = [];
  const watch = (page: import("playwright-core").Page) => {
    if (!smoke) return;
    page.on("pageerror", (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(`${page.url()}: console: ${message.text()}`);
    });
  };
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const signIn = await context.newPage();
    watch(signIn);
    await signIn.goto(system.signInLink);
    await signIn.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
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
        const answer = (await response.json()) as {
          data?: { hubs?: { edges?: unknown[] } };
          errors?: unknown[];
        };
        baseline.push(performance.now() - t0);
        if (smoke && (response.status !== 200 || answer.errors || answer.data?.hubs?.edges?.length !== 25)) {
          throw new Error(
            `${view.name}: the baseline query answered ${response.status} ${JSON.stringify(answer).slice(0, 300)}`,
          );
        }

        first.push(
          await timeFirstRender(
            browser,
            `${system.gatewayUrl}/admin/hubs${view.query ? `?${view.query}` : ""}#token=${adminToken}`,
            "table tbody tr:nth-child(25)",
            view.name,
            watch,
            async (page) => {
              for (let p = 0; p < pageTurns.next; p += 1) next.push(await timePageTurn(page, /Next page/));
              for (let p = 0; p < pageTurns.previous; p += 1)
                previous.push(await timePageTurn(page, /Previous page/));
            },
          ),
        );
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

    for (const entry of pages) {
      const first: number[] = [];
      const baseline: number[] = [];
      for (let r = 0; r < repeats; r += 1) {
        baseline.push(
          await timeQuery(
            system.gatewayUrl,
            adminToken,
            entry.query,
            entry.variables,
            (data) => data !== undefined && Object.values(data).every((value) => value !== null),
            entry.name,
          ),
        );
        first.push(
          await timeFirstRender(
            browser,
            `${system.gatewayUrl}/admin${entry.path}#token=${adminToken}`,
            entry.ready,
            entry.name,
            watch,
          ),
        );
      }
      const row = {
        page: entry.name,
        baselineQueryMs: stats(baseline),
        firstRenderMs: stats(first),
        targetMs: FIRST_RENDER_TARGET_MS,
        met: percentile(first, 0.95) <= FIRST_RENDER_TARGET_MS,
      };
      pageResults.push(row);
      console.log(
        `${entry.name.padEnd(16)} baseline p50 ${row.baselineQueryMs.p50} ms | first render p50 ${row.firstRenderMs.p50} p95 ${row.firstRenderMs.p95} max ${row.firstRenderMs.max} ms | target p95 ≤ ${FIRST_RENDER_TARGET_MS} ms: ${row.met ? "met" : "NOT met"}`,
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
    pages: pageResults,
  };
  console.log(JSON.stringify(summary));
  const dir = path.join(repoRoot, "bench/results");
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, `console-${smoke ? "smoke-" : ""}${Date.now()}.json`),
    JSON.stringify(summary, null, 2),
  );
  if (smoke) {
    if (pageErrors.length > 0) {
      console.log(`smoke: FAILED\n${pageErrors.map((error) => `  - ${error}`).join("\n")}`);
      process.exitCode = 1;
    } else {
      console.log(
        `smoke: ok — ${views.length} views: the baseline query, the first page, ${pageTurns.next} pages forward and ` +
          `${pageTurns.previous} back in Chromium; ${pages.length} pages (${pages.map((entry) => entry.name).join(", ")}): ` +
          "the baseline query and the first render; no page errors (no targets checked)",
      );
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
