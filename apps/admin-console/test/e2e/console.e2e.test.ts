import { randomUUID } from "node:crypto";
import { cloneTemplate, hasChromium, NEEDS_CHROMIUM, type TestDatabase } from "@hub/test-support";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, screenshots, seriousViolations, tabTo, widths } from "./browser.ts";
import { type ConsoleSystem, startConsoleSystem } from "./system.ts";

/**
 * The console in Chromium against the real system as `npm start` starts it (gateway serving
 * /admin, hub-service, registry emulator, a database of its own): what an admin does, by mouse and
 * by keyboard alone, with an accessibility check and screenshots of every page at both widths.
 */
let database: TestDatabase;
let system: ConsoleSystem;
let browser: Browser;
let hubs: { hubId: string; serial: string }[];
const prefix = `E2E-${randomUUID().slice(0, 6).toUpperCase()}-`;
const PAGE_SIZE = 25;

async function signedInPage(context?: BrowserContext): Promise<Page> {
  const page = await (context ?? (await browser.newContext({ viewport: widths.desktop }))).newPage();
  await page.goto(system.signInLink);
  // Sign-in lands on the overview; these tests start from the hubs list.
  await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Hubs" }).click();
  await page.getByRole("heading", { name: "Hubs", level: 1 }).waitFor();
  return page;
}

const rowSerials = (page: Page) => page.locator("table tbody tr td:first-child a").allTextContents();

const focused = (page: Page, selector: string) =>
  page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);

/** A marker set in the page's window: still there later means the page was not reloaded. */
async function markNoReload(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate(() => {
    (window as unknown as { __noReload: boolean }).__noReload = true;
  });
  return () => page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);
}

describe.runIf(hasChromium())(`admin console (${NEEDS_CHROMIUM})`, () => {
  beforeAll(async () => {
    database = await cloneTemplate(inject("dbTemplate"));
    system = await startConsoleSystem({ databaseUrl: database.url });
    // 60 hubs share the prefix: three pages of 25 (24, 25, 10 would also do; 60 shows a full middle page).
    hubs = await system.provisionHubs(
      Array.from({ length: 60 }, (_, i) => `${prefix}${String(i).padStart(3, "0")}`),
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await database?.drop();
  });

  it("signs in from npm start's link, and keeps the token out of the address bar", async () => {
    expect(system.output()).toContain(`Admin console: ${system.gatewayUrl}/admin/#token=`);
    const page = await (await browser.newContext({ viewport: widths.desktop })).newPage();
    await page.goto(system.signInLink);
    await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    expect(page.url()).not.toContain("token");
    expect(page.url()).toBe(`${system.gatewayUrl}/admin/`);
    const stored = await page.evaluate(() => sessionStorage.getItem("hub-admin.token"));
    expect(system.signInLink.endsWith(`#token=${stored}`)).toBe(true);
    await expect.poll(() => page.getByRole("banner").textContent()).toContain("demo-admin (admin)");
    await page.context().close();
  });

  it("finds hubs by serial prefix and pages forward and back through them, the URL holding the view", async () => {
    const page = await signedInPage();
    await page.getByLabel("Serial starts with").fill(prefix);
    await page.getByLabel("Order").selectOption("serial-asc");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL((url) => url.searchParams.get("serial") === prefix);
    expect(new URL(page.url()).searchParams.get("sort")).toBe("serial-asc");
    const expected = hubs.map((hub) => hub.serial);
    await expect.poll(() => rowSerials(page)).toEqual(expected.slice(0, PAGE_SIZE));
    expect(await page.getByRole("button", { name: /Previous page/ }).getAttribute("aria-disabled")).toBe(
      "true",
    );

    await page.getByRole("button", { name: /Next page/ }).click();
    await page.waitForURL((url) => url.searchParams.has("after"));
    await expect.poll(() => rowSerials(page)).toEqual(expected.slice(PAGE_SIZE, 2 * PAGE_SIZE));
    await page.getByRole("button", { name: /Next page/ }).click();
    await expect.poll(() => rowSerials(page)).toEqual(expected.slice(2 * PAGE_SIZE));
    expect(await page.getByRole("button", { name: /Next page/ }).getAttribute("aria-disabled")).toBe("true");

    await page.getByRole("button", { name: /Previous page/ }).click();
    await page.waitForURL((url) => url.searchParams.has("before"));
    await expect.poll(() => rowSerials(page)).toEqual(expected.slice(PAGE_SIZE, 2 * PAGE_SIZE));
    await page.getByRole("button", { name: /Previous page/ }).click();
    await expect.poll(() => rowSerials(page)).toEqual(expected.slice(0, PAGE_SIZE));

    // The URL is the view: reloaded it shows the same page; opened in another tab (sessionStorage
    // is per tab, so it asks for a token first) it shows that page after sign-in.
    await page.getByRole("button", { name: /Next page/ }).click();
    await expect.poll(() => rowSerials(page)).toEqual(expected.slice(PAGE_SIZE, 2 * PAGE_SIZE));
    await page.reload();
    await expect.poll(() => rowSerials(page)).toEqual(expected.slice(PAGE_SIZE, 2 * PAGE_SIZE));
    const shared = await page.context().newPage();
    await shared.goto(page.url());
    await shared
      .getByLabel("Admin token (JWT)")
      .fill(new URL(system.signInLink).hash.slice("#token=".length));
    await shared.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => rowSerials(shared)).toEqual(expected.slice(PAGE_SIZE, 2 * PAGE_SIZE));
    expect(await shared.getByLabel("Serial starts with").inputValue()).toBe(prefix);
    expect(shared.url()).toBe(page.url());
    // Browser back returns to the previous page of results.
    await page.goBack();
    await expect.poll(() => rowSerials(page)).toEqual(expected.slice(0, PAGE_SIZE));
    await page.context().close();
  });

  it("suspends a hub with a reason: HubSuspended appears in its timeline and on the live page, without a reload", async () => {
    const context = await browser.newContext({ viewport: widths.desktop });
    const live = await signedInPage(context);
    await live.getByRole("link", { name: "Live" }).click();
    await live.getByRole("heading", { name: "Live events" }).waitFor();
    await expect.poll(() => live.getByRole("status").first().getAttribute("data-status")).toBe("live");
    const liveNotReloaded = await markNoReload(live);

    const page = await signedInPage(context);
    const target = hubs.at(-1) as { hubId: string; serial: string };
    await page.goto(`${system.gatewayUrl}/admin/hubs?serial=${target.serial}`);
    await page.getByRole("link", { name: target.serial, exact: true }).click();
    await page.getByRole("heading", { name: new RegExp(`Hub ${target.serial}`) }).waitFor();
    expect(page.url()).toBe(`${system.gatewayUrl}/admin/hubs/${target.hubId}`);
    const notReloaded = await markNoReload(page);

    await page.getByRole("button", { name: "Suspend…" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Reason").fill("reported stolen from the lobby");
    await dialog.getByRole("button", { name: "Suspend", exact: true }).click();
    await expect
      .poll(() => page.locator("[data-tone]").textContent())
      .toBe("Done: HubSuspended recorded (version 2).");
    await expect
      .poll(() => page.locator("ol.events li").first().getAttribute("data-type"))
      .toBe("HubSuspended");
    expect(await page.getByTestId("hub-status").textContent()).toBe("Suspended");
    const latest = page.locator("ol.events li").first();
    expect(await latest.textContent()).toContain("admin demo-admin");
    expect(await latest.textContent()).toContain("graphql");
    expect(await notReloaded()).toBe(true);
    expect(await page.getByRole("button", { name: "Suspend…" }).isDisabled()).toBe(true);

    const arrived = live.locator(`ol.events li[data-type="HubSuspended"]`, { hasText: target.hubId });
    await arrived.waitFor({ timeout: 10_000 });
    expect(await liveNotReloaded()).toBe(true);
    await context.close();
  });

  it("tells a non-admin token it is refused, and shows the way back to sign in", async () => {
    const context = await browser.newContext({ viewport: widths.desktop });
    const page = await context.newPage();
    const userToken = system.token({}, "someone-without-admin");
    await page.goto(`${system.gatewayUrl}/admin/#token=${userToken}`);
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.textContent()).toContain("need an admin token");
    expect(await alert.getAttribute("data-failure")).toBe("forbidden");
    await alert.getByRole("button", { name: "Sign in with another token" }).click();
    await page.getByLabel("Admin token (JWT)").waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("hub-admin.token"))).toBeNull();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("need an admin token");

    // An expired or forged token: the gateway's 401 in words.
    const forged = `${userToken.slice(0, -4)}AAAA`;
    await page.getByLabel("Admin token (JWT)").fill(forged.replace("someone", "x"));
    await page.goto(`${system.gatewayUrl}/admin/#token=${forged}`);
    await expect
      .poll(() => page.getByRole("alert").first().getAttribute("data-failure"))
      .toBe("unauthenticated");
    await context.close();
  });

  it("walks the whole path with the keyboard alone", async () => {
    const context = await browser.newContext({ viewport: widths.desktop });
    const page = await context.newPage();
    await page.goto(`${system.gatewayUrl}/admin/`);
    const adminToken = new URL(system.signInLink).hash.slice("#token=".length);
    await tabTo(page, "textarea[name=token]");
    await page.keyboard.insertText(adminToken);
    await tabTo(page, "button[type=submit]");
    await page.keyboard.press("Enter");
    // Sign-in lands on the overview; the hubs list is the navigation's second entry.
    await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    await tabTo(page, 'nav a[href="/admin/hubs"]');
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Hubs", level: 1 }).waitFor();

    const target = hubs[0] as { hubId: string; serial: string };
    await tabTo(page, "input[name=serial]");
    await page.keyboard.insertText(target.serial);
    await page.keyboard.press("Enter");
    await expect.poll(() => rowSerials(page)).toEqual([target.serial]);
    await tabTo(page, `a[href="/admin/hubs/${target.hubId}"]`);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: new RegExp(`Hub ${target.serial}`) }).waitFor();
    // Navigation moves the focus to the new page's content.
    await expect.poll(() => focused(page, "main")).toBe(true);

    await tabTo(page, "button[data-action=suspend]");
    await page.keyboard.press("Enter");
    // The dialog is named by its heading and takes the focus to the reason field.
    const dialog = page.getByRole("dialog", { name: `Suspend hub ${target.serial}?` });
    await dialog.waitFor();
    expect(await focused(page, "dialog textarea")).toBe(true);
    // A blank reason is refused in the dialog, which stays open.
    await page.keyboard.insertText("   ");
    await tabTo(page, "dialog button[type=submit]");
    await page.keyboard.press("Enter");
    await expect.poll(() => dialog.getByRole("alert").textContent()).toContain("Give a reason");
    expect(await focused(page, "dialog textarea")).toBe(true);
    await page.keyboard.insertText("keyboard check");
    await tabTo(page, "dialog button[type=submit]");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByTestId("hub-status").textContent()).toBe("Suspended");
    // The pressed button is now disabled: the focus went to the outcome, not to the page's body.
    await expect.poll(() => focused(page, ".outcome")).toBe(true);

    await tabTo(page, "button[data-action=resume]");
    await page.keyboard.press("Enter");
    await page.getByRole("dialog").waitFor();
    // Escape cancels without sending anything.
    await page.keyboard.press("Escape");
    expect(await page.getByRole("dialog").isVisible()).toBe(false);
    expect(await page.getByTestId("hub-status").textContent()).toBe("Suspended");
    await tabTo(page, "button[data-action=resume]");
    await page.keyboard.press("Enter");
    await tabTo(page, "dialog button[type=submit]");
    await page.keyboard.press("Enter");
    await expect
      .poll(() => page.locator("[data-tone]").textContent())
      .toBe("Done: HubResumed recorded (version 3).");
    await expect.poll(() => page.getByTestId("hub-status").textContent()).toBe("Provisioned");

    // The focus is visible: the focused control draws an outline.
    await tabTo(page, "a[href='/admin/live']");
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement as Element).outlineStyle,
    );
    expect(outline).toBe("solid");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Live events" }).waitFor();
    await context.close();
  });

  it("has no serious or critical accessibility violation on any page, and writes screenshots at 1280 and 390 px", async () => {
    const context = await browser.newContext({ viewport: widths.desktop });
    const page = await context.newPage();
    await page.goto(`${system.gatewayUrl}/admin/`);
    await page.getByLabel("Admin token (JWT)").waitFor();
    const pages: [string, () => Promise<void>][] = [
      ["sign-in", async () => {}],
      [
        "hubs",
        async () => {
          await page.goto(system.signInLink);
          await page.goto(`${system.gatewayUrl}/admin/hubs?serial=${prefix}`);
          await page.locator("table tbody tr").first().waitFor();
        },
      ],
      [
        "hubs-empty",
        async () => {
          await page.goto(`${system.gatewayUrl}/admin/hubs?serial=NO-SUCH-SERIAL`);
          await page.getByText("No hubs match these filters.").waitFor();
        },
      ],
      [
        "hub",
        async () => {
          await page.goto(`${system.gatewayUrl}/admin/hubs/${(hubs.at(-1) as { hubId: string }).hubId}`);
          await page.locator("ol.events li").first().waitFor();
        },
      ],
      [
        "hub-dialog",
        async () => {
          await page.getByRole("button", { name: "Decommission…" }).click();
          await page.getByRole("dialog").waitFor();
        },
      ],
      [
        "live",
        async () => {
          await page.goto(`${system.gatewayUrl}/admin/live`);
          await page.locator("ol.events li").first().waitFor();
        },
      ],
      [
        "not-found",
        async () => {
          await page.goto(`${system.gatewayUrl}/admin/nowhere`);
          await page.getByRole("heading", { name: "Page not found" }).waitFor();
        },
      ],
    ];
    const violations: string[] = [];
    for (const [name, open] of pages) {
      await open();
      violations.push(...(await seriousViolations(page)).map((v) => `${name} ${v}`));
      await screenshots(page, name);
    }
    expect(violations).toEqual([]);
    await context.close();
    // Seven page states, each checked by axe and photographed at two widths: 60-80 s on a quiet
    // machine, so the bound (on waiting, not on speed) is wider than the file's 90 s.
  }, 240_000);
});
