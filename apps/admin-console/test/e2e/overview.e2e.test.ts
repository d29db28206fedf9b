import { randomUUID } from "node:crypto";
import { cloneTemplate, hasChromium, NEEDS_CHROMIUM, type TestDatabase } from "@hub/test-support";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, screenshots, seriousViolations, tabTo, widths } from "./browser.ts";
import { type ConsoleSystem, startConsoleSystem } from "./system.ts";

/**
 * The overview, the console's landing page, in Chromium against the real system (`npm start`):
 * its numbers are the API's, its links open the hubs list filtered, and it passes axe and the CSP.
 */
let database: TestDatabase;
let system: ConsoleSystem;
let browser: Browser;
const prefix = `OV-${randomUUID().slice(0, 6).toUpperCase()}-`;

type Overview = {
  hubs: {
    total: number;
    online: number;
    offline: number;
    byStatus: { status: string; count: number }[];
    provisionedPerDay: { date: string; count: number }[];
  };
  commandsByState: { state: string; count: number }[];
  deliveries: { delivered: number; pending: number; dead: number; oldestPendingAt: number | null };
};

async function graphql(query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${system.gatewayUrl}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${system.token({ role: "admin" }, "overview-admin")}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

const apiOverview = async (): Promise<Overview> =>
  (
    await graphql(`{ fleetOverview {
      hubs { total online offline byStatus { status count } provisionedPerDay { date count } }
      commandsByState { state count }
      deliveries { delivered pending dead oldestPendingAt }
    } }`)
  ).fleetOverview;

const format = (n: number) => new Intl.NumberFormat("en-US").format(n);

describe.runIf(hasChromium())(`admin console overview (${NEEDS_CHROMIUM})`, () => {
  let hubs: { hubId: string; serial: string }[] = [];
  const cspViolations: string[] = [];

  beforeAll(async () => {
    database = await cloneTemplate(inject("dbTemplate"));
    system = await startConsoleSystem({ databaseUrl: database.url });
    hubs = await system.provisionHubs(Array.from({ length: 7 }, (_, i) => `${prefix}${i}`));
    const suspended = await graphql(
      `mutation S($input: SuspendHubInput!) { suspendHub(input: $input) { __typename } }`,
      { input: { hubId: hubs[0]?.hubId, reason: "overview test", userId: "overview-admin" } },
    );
    expect(suspended.suspendHub.__typename).toBe("CommandSuccess");
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await database?.drop();
  });

  async function overviewPage(): Promise<Page> {
    const page = await (await browser.newContext({ viewport: widths.desktop, locale: "en-US" })).newPage();
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(system.signInLink);
    await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    await page.locator('[data-count="total"]').waitFor();
    return page;
  }

  it("is where sign-in lands, and shows the API's numbers", async () => {
    const page = await overviewPage();
    expect(new URL(page.url()).pathname).toBe("/admin/");
    const api = await apiOverview();
    expect(api.hubs.total).toBe(7);
    expect(api.hubs.byStatus.find((row) => row.status === "Suspended")?.count).toBe(1);
    expect(api.hubs.byStatus.find((row) => row.status === "Provisioned")?.count).toBe(6);

    const text = (selector: string) => page.locator(selector).first().textContent();
    expect(await text('[data-count="total"]')).toBe(format(api.hubs.total));
    for (const row of api.hubs.byStatus) {
      expect(await text(`a[data-status="${row.status}"]`)).toBe(format(row.count));
    }
    expect(await text('[data-count="online"]')).toBe(format(api.hubs.online));
    expect(await text('[data-count="offline"]')).toBe(format(api.hubs.offline));
    expect(await text('[data-count="provisioned-30d"]')).toBe(
      format(api.hubs.provisionedPerDay.reduce((sum, day) => sum + day.count, 0)),
    );
    for (const day of api.hubs.provisionedPerDay) {
      expect(await page.locator(`td[data-day="${day.date}"]`).textContent()).toBe(format(day.count));
    }
    for (const row of api.commandsByState) {
      expect(await text(`td[data-state="${row.state}"]`)).toBe(format(row.count));
    }
    for (const key of ["delivered", "pending", "dead"] as const) {
      expect(await text(`[data-count="${key}"]`)).toBe(format(api.deliveries[key]));
    }
    if (api.deliveries.oldestPendingAt === null) {
      expect(await text('[data-count="oldest-pending"]')).toBe("none");
    } else {
      expect(await page.locator('[data-count="oldest-pending"] time').getAttribute("data-epoch-ms")).toBe(
        String(api.deliveries.oldestPendingAt),
      );
    }
    // 30 bars, one per day, on a y axis with whole-number ticks and an x axis labelling every
    // 7th UTC day (the newest among them), drawn without inline styles.
    expect(await page.locator("svg.chart-columns rect.chart-bar").count()).toBe(30);
    expect(await page.locator("svg.chart-columns .chart-axis").count()).toBe(2);
    const xLabels = await page.locator("svg.chart-columns .visx-axis-bottom text").allTextContents();
    expect(xLabels).toHaveLength(5);
    const newest = api.hubs.provisionedPerDay.at(-1)?.date as string;
    expect(xLabels.at(-1)).toBe(
      new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" }).format(
        Date.parse(`${newest}T00:00:00Z`),
      ),
    );
    const yLabels = await page.locator("svg.chart-columns .visx-axis-left text").allTextContents();
    expect(yLabels.length).toBeGreaterThanOrEqual(2);
    expect(yLabels.every((label) => /^\d+$/.test(label))).toBe(true);
    expect(await page.locator("svg.chart-share rect.chart-part").count()).toBeGreaterThan(0);
    expect(await page.locator("main [style]").count()).toBe(0);
    await page.context().close();
  });

  it("opens the hubs list filtered by a status from its count, by keyboard alone", async () => {
    const page = await overviewPage();
    await tabTo(page, 'a[data-status="Suspended"]');
    await page.keyboard.press("Enter");
    await page.waitForURL(
      (url) => url.pathname === "/admin/hubs" && url.searchParams.get("status") === "Suspended",
    );
    await expect
      .poll(() => page.locator("table tbody tr td:first-child a").allTextContents())
      .toEqual([hubs[0]?.serial]);
    // The Overview entry leads back, first in the navigation (before main: Shift+Tab from there).
    const nav = page.getByRole("navigation", { name: "Main" }).getByRole("link");
    expect(await nav.first().textContent()).toBe("Overview");
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press("Shift+Tab");
      if (await page.evaluate(() => document.activeElement?.matches("nav a:first-child") ?? false)) break;
    }
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Overview");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    await page.context().close();
  });

  it("opens the hubs list filtered by presence from the online and offline counts", async () => {
    // Hubs are offline until their Thing connects: connect one and wait for the API to see it.
    const online = hubs[1];
    if (!online) throw new Error("no hub to connect");
    await system.setConnected(`console-${online.serial.toLowerCase()}`, true);
    await expect.poll(async () => (await apiOverview()).hubs.online, { timeout: 15_000 }).toBe(1);
    const offline = hubs.filter((hub) => hub !== online).map((hub) => hub.serial);

    const page = await overviewPage();
    await expect.poll(() => page.locator('a[data-count="online"]').textContent()).toBe("1");
    expect(await page.locator('a[data-count="offline"]').textContent()).toBe(format(offline.length));
    const serials = () => page.locator("table tbody tr td:first-child a").allTextContents();

    await tabTo(page, 'a[data-count="online"]');
    await page.keyboard.press("Enter");
    await page.waitForURL((url) => url.pathname === "/admin/hubs" && url.search === "?online=true");
    await expect.poll(serials).toEqual([online.serial]);
    expect(await page.getByLabel("Presence").inputValue()).toBe("true");

    await page.goBack();
    await page.locator('a[data-count="offline"]').click();
    await page.waitForURL((url) => url.pathname === "/admin/hubs" && url.search === "?online=false");
    await expect.poll(async () => (await serials()).sort()).toEqual(offline.sort());
    expect(await page.getByLabel("Presence").inputValue()).toBe("false");

    // The filter form sets it too: Any clears it from the URL, and the list has every hub again.
    await page.getByLabel("Presence").selectOption("");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL((url) => url.pathname === "/admin/hubs" && !url.searchParams.has("online"));
    await expect.poll(async () => (await serials()).length).toBe(hubs.length);
    await page.context().close();
  });

  it("has no serious accessibility violation at either width, no CSP violation, and its table opens by keyboard", async () => {
    const page = await overviewPage();
    await tabTo(page, "details.overview-details summary");
    await page.keyboard.press("Enter");
    expect(await page.locator("details.overview-details").getAttribute("open")).not.toBeNull();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshots(page, "overview");
    expect(cspViolations).toEqual([]);
    await page.context().close();
  });
});
