import { randomUUID } from "node:crypto";
import { cloneTemplate, hasChromium, NEEDS_CHROMIUM, type TestDatabase } from "@hub/test-support";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, screenshots, seriousViolations, tabTo, widths } from "./browser.ts";
import { type ConsoleSystem, provisionHubWithKey, startConsoleSystem } from "./system.ts";

/**
 * Onboarding a partner entirely in the console, against the real system as `npm start` starts
 * it: an organization, an API key (its secret shown once), a rotation with overlap, provisioning
 * with the new key over REST, the hub counted on the organization's page, the old key revoked.
 */
let database: TestDatabase;
let system: ConsoleSystem;
let browser: Browser;
const run = randomUUID().slice(0, 6).toUpperCase();

async function signedInPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: widths.desktop });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: system.gatewayUrl });
  const page = await context.newPage();
  await page.goto(system.signInLink);
  await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
  return page;
}

/** Everything the page holds where a secret could linger: its HTML and both storages. */
const pageHolds = (page: Page, secret: string) =>
  page.evaluate(
    (s) =>
      document.documentElement.outerHTML.includes(s) ||
      JSON.stringify({ ...sessionStorage }).includes(s) ||
      JSON.stringify({ ...localStorage }).includes(s),
    secret,
  );

describe.runIf(hasChromium())(`organizations and API keys in the console (${NEEDS_CHROMIUM})`, () => {
  beforeAll(async () => {
    database = await cloneTemplate(inject("dbTemplate"));
    // The gateway caches a verified key for a second (default 30 s): a revocation shows soon.
    system = await startConsoleSystem({ databaseUrl: database.url, env: { API_KEY_CACHE_TTL_MS: "1000" } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await database?.drop();
  });

  it("onboards a partner: organization, key, rotation with overlap, provisioning with the new key, revocation", async () => {
    const page = await signedInPage();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Organizations" }).click();
    await page.getByRole("heading", { name: "Organizations", level: 1 }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    // A new organization, by name.
    const name = `Partner ${run}`;
    await page.getByLabel("New organization's name").fill(name);
    await page.getByRole("button", { name: "Create organization" }).click();
    await page.getByRole("heading", { name: `Organization ${name}`, level: 1 }).waitFor();
    const orgId = new URL(page.url()).pathname.split("/").at(-1) ?? "";
    expect(orgId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await page.getByTestId("org-hub-count").textContent()).toBe("0");
    expect(await seriousViolations(page)).toEqual([]);

    // The API keys tab (the URL holds it), then a key issued with the keyboard alone.
    await page.getByRole("link", { name: "API keys" }).click();
    await page.waitForURL((url) => url.searchParams.get("tab") === "keys");
    await page.getByRole("heading", { name: "Issue a key" }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await tabTo(page, 'form.key-issue input[name="name"]');
    await page.keyboard.type("Provisioning line 1");
    await tabTo(page, 'input[value="HUBS_PROVISION"]');
    await page.keyboard.press("Space");
    await tabTo(page, 'input[value="HUBS_READ"]');
    await page.keyboard.press("Space");
    await tabTo(page, 'form.key-issue button[type="submit"]');
    await page.keyboard.press("Enter");
    const panel = page.getByTestId("secret-panel");
    await panel.waitFor();
    await expect.poll(() => panel.textContent()).toContain("you will not see it again");
    // The panel takes the focus, so a screen reader announces it.
    expect(
      await page.evaluate(() => document.activeElement?.closest("[data-testid=secret-panel]") !== null),
    ).toBe(true);
    const first = (await page.getByTestId("secret-value").textContent()) ?? "";
    expect(first).toMatch(/^hub_/);
    await panel.getByRole("button", { name: "Copy the secret" }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(first);
    expect(await seriousViolations(page)).toEqual([]);
    await panel.getByRole("button", { name: /hide it/ }).click();
    await panel.waitFor({ state: "detached" });
    expect(await pageHolds(page, first)).toBe(false);
    const keyRows = page.locator("tr[data-key-prefix]");
    await expect.poll(() => keyRows.count()).toBe(1);
    expect(await keyRows.first().textContent()).toContain("hubs:read, hubs:provision");

    // Rotation with an hour's overlap: the new secret once, and when the old key retires.
    await page.getByRole("button", { name: /^Rotate key Provisioning line 1/ }).click();
    const dialog = page.getByRole("dialog", { name: /Rotate key/ });
    await dialog.getByLabel("The old key keeps working for").selectOption({ label: "1 hour" });
    await dialog.getByRole("button", { name: "Rotate key" }).click();
    await panel.waitFor();
    const second = (await page.getByTestId("secret-value").textContent()) ?? "";
    expect(second).toMatch(/^hub_/);
    expect(second).not.toBe(first);
    const retires = Number(
      await page.getByTestId("retires-at").locator("time").getAttribute("data-epoch-ms"),
    );
    expect(retires).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(retires).toBeLessThan(Date.now() + 61 * 60_000);
    expect(await seriousViolations(page)).toEqual([]);
    // Leaving the tab drops the shown secret.
    await page.getByRole("link", { name: "Hubs", exact: true }).last().click();
    await page.waitForURL((url) => url.searchParams.get("tab") === "hubs");
    await panel.waitFor({ state: "detached" });
    expect(await pageHolds(page, second)).toBe(false);
    expect(await pageHolds(page, first)).toBe(false);

    // The partner provisions with the new key; the old one still works during the overlap.
    const byNew = await provisionHubWithKey(system, second, `ORG-${run}-1`);
    expect(byNew.status).toBe(201);
    const byOld = await provisionHubWithKey(system, first, `ORG-${run}-2`);
    expect(byOld.status).toBe(201);
    await page.reload();
    await expect.poll(() => page.getByTestId("org-hub-count").textContent()).toBe("2");
    await screenshots(page, "organization");

    // The organizations list counts them too, and names the organization (its id on hover).
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Organizations" }).click();
    const row = page.locator(`tr[data-org-row="${orgId}"]`);
    await expect.poll(() => row.getByTestId("hub-count").textContent()).toBe("2");
    expect(await row.getByRole("link", { name }).getAttribute("title")).toContain(orgId);
    await screenshots(page, "organizations");

    // The hub's page names the organization whose key provisioned it.
    await page.goto(`${system.gatewayUrl}/admin/hubs/${byNew.hubId}`);
    await page.getByRole("heading", { name: new RegExp(`Hub ORG-${run}-1`) }).waitFor();
    expect(await page.getByRole("link", { name }).first().getAttribute("title")).toContain(orgId);

    // Revoking the old key (confirmed): it stops working at once.
    await page.goto(`${system.gatewayUrl}/admin/organizations/${orgId}?tab=keys`);
    await expect.poll(() => keyRows.count()).toBe(2);
    const oldRow = page.locator("tr[data-key-prefix]", { hasText: "RETIRING" });
    await oldRow.getByRole("button", { name: /^Revoke key/ }).click();
    const confirm = page.getByRole("dialog", { name: /Revoke key/ });
    expect(await seriousViolations(page)).toEqual([]);
    await confirm.getByRole("button", { name: "Revoke key" }).click();
    await expect.poll(() => page.locator("tr[data-key-prefix]", { hasText: "REVOKED" }).count()).toBe(1);
    // The picture shows the table from its first column (the revoke button's focus scrolled it).
    await page.evaluate(() => {
      for (const region of document.querySelectorAll(".table-scroll")) region.scrollLeft = 0;
    });
    await screenshots(page, "organization-keys");
    const statusWith = (key: string) =>
      fetch(`${system.gatewayUrl}/hubs/${byNew.hubId}/status`, { headers: { "x-api-key": key } }).then(
        async (response) => {
          await response.text();
          return response.status;
        },
      );
    await expect.poll(() => statusWith(first), { timeout: 15_000, interval: 500 }).toBe(401);
    expect(await statusWith(second)).toBe(200);
    expect(await provisionHubWithKey(system, first, `ORG-${run}-3`).then((r) => r.status)).toBe(401);
    expect(await pageHolds(page, first)).toBe(false);
    expect(await pageHolds(page, second)).toBe(false);
    await page.context().close();
  });
});
