import { randomUUID } from "node:crypto";
import {
  cloneTemplate,
  hasChromium,
  NEEDS_CHROMIUM,
  TEST_SECRETS,
  type TestDatabase,
} from "@hub/test-support";
import jwt from "jsonwebtoken";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, screenshots, seriousViolations, tabTo, widths } from "./browser.ts";
import { type ConsoleSystem, startConsoleSystem } from "./system.ts";

/**
 * The Live page on the SSE subscription and the hub page's live status, commands and deletion, in
 * Chromium against the system as `npm start` runs it; the simulated hub of the registry emulator
 * answers the commands through the Device Shadow.
 */
let database: TestDatabase;
let system: ConsoleSystem;
let browser: Browser;
const prefix = `LIVE-${randomUUID().slice(0, 6).toUpperCase()}-`;
let hubs: { hubId: string; serial: string }[];
let orgId: string;

/** How long a wait for the page may take on a loaded machine (a bound on waiting, not on speed). */
const WAIT = { timeout: 15_000 };

const admin = () => system.token({ role: "admin" }, "live-e2e-admin");

async function graphql<T = Record<string, any>>(
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await fetch(`${system.gatewayUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${admin()}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!body.data || body.errors) throw new Error(`GraphQL failed: ${JSON.stringify(body)}`);
  return body.data;
}

const suspend = (hubId: string) =>
  graphql(
    `mutation ($input: SuspendHubInput!) { suspendHub(input: $input) { __typename ... on Error { message } } }`,
    { input: { hubId, reason: "live e2e", userId: "live-e2e" } },
  );

/** A lifecycle command straight to hub-service's tRPC (as the service itself): no gateway involved. */
async function hubServiceCommand(procedure: "suspend" | "resume", hubId: string): Promise<void> {
  const token = jwt.sign({}, TEST_SECRETS.service, {
    algorithm: "HS256",
    audience: "hub-service",
    issuer: "hub-platform",
    subject: "live-e2e",
    expiresIn: 600,
  });
  const response = await fetch(`${system.hubServiceUrl}/trpc/hub.${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ command: { hubId, reason: "while the gateway is down", userId: "live-e2e" } }),
  });
  if (!response.ok) throw new Error(`hub.${procedure}: ${response.status} ${await response.text()}`);
}

/** The hub's events as the log holds them (position order). */
async function logOf(hubId: string): Promise<{ position: string; version: number }[]> {
  const data = await graphql<{
    hub: { events: { edges: { node: { position: string; version: number } }[] } };
  }>(`query ($id: ID!) { hub(id: $id) { events(first: 50) { edges { node { position version } } } } }`, {
    id: hubId,
  });
  return data.hub.events.edges.map((edge) => edge.node);
}

async function signedInPage(path: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: widths.desktop })).newPage();
  await page.goto(system.signInLink);
  await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
  await page.goto(`${system.gatewayUrl}/admin${path}`);
  return page;
}

const feedStatus = (page: Page) => page.locator("p.feed-status").getAttribute("data-status");

describe.runIf(hasChromium())(`live page and hub page (${NEEDS_CHROMIUM})`, () => {
  beforeAll(async () => {
    database = await cloneTemplate(inject("dbTemplate"));
    system = await startConsoleSystem({ databaseUrl: database.url });
    hubs = await system.provisionHubs(["A", "B", "C", "D"].map((name) => `${prefix}${name}`));
    const created = await graphql<{ createOrganization: { id: string } }>(
      `mutation ($name: String!) { createOrganization(name: $name) { __typename ... on Organization { id } } }`,
      { name: `Live e2e ${prefix}` },
    );
    orgId = created.createOrganization.id;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await database?.drop();
  });

  it("sends a command from the hub page by keyboard alone: it reaches SUCCEEDED on screen, and the status panel follows the device, without a reload", async () => {
    const hub = hubs[0] as { hubId: string; serial: string };
    // Setup through the API: the hub's device is online and the hub claimed (commands need both).
    await system.setConnected(`console-${hub.serial.toLowerCase()}`, true);
    const claimed = await graphql<{ claimHub: { __typename: string } }>(
      `mutation ($input: ClaimHubInput!) { claimHub(input: $input) { __typename ... on Error { message } } }`,
      { input: { hubId: hub.hubId, orgId, siteId: "lobby", userId: "live-e2e" } },
    );
    expect(claimed.claimHub.__typename).toBe("CommandSuccess");

    const page = await signedInPage(`/hubs/${hub.hubId}`);
    await page.getByRole("heading", { name: `Hub ${hub.serial}` }).waitFor();
    await expect
      .poll(() => page.locator(".hub-status-panel [data-live]").getAttribute("data-live"), WAIT)
      .toBe("true");
    await page.evaluate(() => {
      (window as unknown as { __noReload: boolean }).__noReload = true;
    });

    await tabTo(page, "select[name='command']");
    expect(await page.locator("select[name='command']").inputValue()).toBe("server_info");
    await tabTo(page, ".command-form button[type='submit']");
    await page.keyboard.press("Enter");
    const command = page.locator(".command-list li[data-command-id]").first();
    await expect.poll(() => command.locator(".event-type").textContent(), WAIT).toBe("server_info");
    await expect.poll(() => command.getAttribute("data-state"), { timeout: 30_000 }).toBe("SUCCEEDED");
    // The status panel followed the hub's events: the firmware the hub reported.
    await expect
      .poll(() => page.getByTestId("hub-firmware").textContent(), { timeout: 30_000 })
      .not.toContain("Not reported yet");

    // A secret argument is a password input, cleared once sent, and never shown back.
    await page.locator("select[name='command']").selectOption("set_wifi_credentials");
    expect(await page.locator("input[name='credentials']").getAttribute("type")).toBe("password");
    await page.locator("input[name='ssid']").fill("office");
    await page.locator("input[name='credentials']").fill("hunter2-wifi-secret");
    await page.getByRole("button", { name: "Send command" }).click();
    await expect
      .poll(() => page.locator(".command-panel .outcome").textContent(), { timeout: 15_000 })
      .toContain("Sent: command");
    await expect
      .poll(() => page.locator(".command-list li .event-type").first().textContent(), { timeout: 15_000 })
      .toBe("set_wifi_credentials");
    expect(await page.locator("input[name='credentials']").inputValue()).toBe("");
    expect(await page.content()).not.toContain("hunter2-wifi-secret");
    expect(await page.locator(".command-list li").first().textContent()).toContain("credentials (not shown)");

    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshots(page, "hub-commands");

    // A device commissioned with its code (CommissionDevice): the code is a secret, never shown back.
    await page.locator("select[name='command']").selectOption("commission_with_code");
    await page.getByLabel("Commissioning code").fill("34970112332");
    await page.getByRole("button", { name: "Commission device" }).click();
    const commissioned = page.locator(".command-list li[data-command-id]").first();
    await expect
      .poll(() => commissioned.locator(".event-type").textContent(), WAIT)
      .toBe("commission_with_code");
    await expect.poll(() => commissioned.getAttribute("data-state"), { timeout: 30_000 }).toBe("SUCCEEDED");
    expect(await page.content()).not.toContain("34970112332");

    // The device drops off and comes back: its presence events turn the panel, without a reload.
    const online = page.getByTestId("hub-online");
    expect(await online.textContent()).toBe("Online");
    await system.setConnected(`console-${hub.serial.toLowerCase()}`, false);
    await expect.poll(() => online.textContent(), { timeout: 30_000 }).toBe("Offline");
    await system.setConnected(`console-${hub.serial.toLowerCase()}`, true);
    await expect.poll(() => online.textContent(), { timeout: 30_000 }).toBe("Online");
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    await page.context().close();
  });

  it("shows an event on the Live page within a second of its commit", async () => {
    const hub = hubs[2] as { hubId: string };
    const page = await signedInPage("/live");
    await page.getByRole("heading", { name: "Live events" }).waitFor();
    await expect.poll(() => feedStatus(page), WAIT).toBe("live");
    // The browser notes when the event's row appears (same machine, same clock as this test).
    await page.evaluate((hubId) => {
      const found = () =>
        [...document.querySelectorAll("ol.events li[data-type='HubSuspended']")].some((li) =>
          li.textContent?.includes(hubId),
        );
      const observer = new MutationObserver(() => {
        if (!found()) return;
        (window as unknown as { __arrivedAt: number }).__arrivedAt = Date.now();
        observer.disconnect();
      });
      observer.observe(document.body, { childList: true, subtree: true });
    }, hub.hubId);
    await suspend(hub.hubId);
    const committedAt = Date.now();
    const arrivedAt = await page
      .waitForFunction(() => (window as unknown as { __arrivedAt?: number }).__arrivedAt, undefined, {
        timeout: 10_000,
      })
      .then((handle) => handle.jsonValue() as Promise<number>);
    // The issue's bound: a committed event is on screen within one second.
    expect(arrivedAt - committedAt).toBeLessThan(1000);
    expect(await page.getByRole("status").first().textContent()).toBe("Live");
    expect(await seriousViolations(page)).toEqual([]);
    await screenshots(page, "live");
    await page.context().close();
  });

  it("resumes after the gateway was stopped and started again with every event exactly once, in order, showing Reconnecting… meanwhile", async () => {
    const hub = hubs[3] as { hubId: string };
    const page = await signedInPage(`/live?hub=${hub.hubId}`);
    await expect.poll(() => feedStatus(page), WAIT).toBe("live");
    const rows = page.locator("ol.events li");
    await expect.poll(() => rows.count(), WAIT).toBe(1);
    await suspend(hub.hubId);
    await expect.poll(() => rows.count(), WAIT).toBe(2);

    await system.stopGateway();
    await expect.poll(() => feedStatus(page), { timeout: 30_000 }).toBe("reconnecting");
    expect(await page.locator("p.feed-status").textContent()).toContain("Reconnecting…");
    expect(await seriousViolations(page)).toEqual([]);
    // Committed through hub-service while the gateway is away.
    await hubServiceCommand("resume", hub.hubId);
    await hubServiceCommand("suspend", hub.hubId);
    await hubServiceCommand("resume", hub.hubId);
    expect(
      await fetch(`${system.gatewayUrl}/readyz`).then(
        () => "answered",
        () => "down",
      ),
    ).toBe("down");
    expect(await feedStatus(page)).toBe("reconnecting");
    await system.startGateway();
    await suspend(hub.hubId);

    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBe(6);
    await expect.poll(() => feedStatus(page), WAIT).toBe("live");
    const shown = await rows.evaluateAll((items) =>
      items.map((li) => Number((li as HTMLElement).dataset.version)),
    );
    const log = await logOf(hub.hubId);
    // Newest first, each version once: the log's order, none missing, none twice.
    expect(shown).toEqual(log.map((event) => event.version).reverse());
    expect(shown).toEqual([6, 5, 4, 3, 2, 1]);
    await page.context().close();
  });

  it("deletes a hub after its serial is typed, shows what was done, and the hub is gone", async () => {
    const hub = hubs[1] as { hubId: string; serial: string };
    const issued = await graphql<{ issueApiKey: { key: string } }>(
      `mutation ($input: IssueApiKeyInput!) { issueApiKey(input: $input) { __typename ... on IssuedApiKey { key } } }`,
      { input: { orgId, name: "platform operator", permissions: ["HUBS_DELETE"] } },
    );
    const page = await signedInPage(`/hubs/${hub.hubId}`);
    await page.getByRole("heading", { name: `Hub ${hub.serial}` }).waitFor();
    const section = page.locator("section.delete-hub");
    await section.getByLabel(/Erase the hub/).check();
    await section.getByLabel(/Platform operator API key/).fill(issued.issueApiKey.key);
    const button = section.getByRole("button", { name: "Delete hub" });
    expect(await button.isDisabled()).toBe(true);
    await section.getByLabel(/Type the hub's serial/).fill("not the serial");
    expect(await button.isDisabled()).toBe(true);
    await section.getByLabel(/Type the hub's serial/).fill(hub.serial);
    expect(await button.isDisabled()).toBe(false);
    expect(await seriousViolations(page)).toEqual([]);
    await button.click();

    await page.getByRole("heading", { name: `Hub ${hub.serial} deleted` }).waitFor();
    expect(await page.locator(".delete-hub-summary [data-mode]").getAttribute("data-mode")).toBe(
      "DELETE_DO_AND_EVENTS",
    );
    expect(await page.content()).not.toContain(issued.issueApiKey.key);
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${system.gatewayUrl}/admin/hubs`);
    await page.getByRole("heading", { name: "Hubs", level: 1 }).waitFor();

    await page.goto(`${system.gatewayUrl}/admin/hubs/${hub.hubId}`);
    await page.getByRole("heading", { name: "Hub not found" }).waitFor();
    const found = await graphql<{ hub: unknown }>(`query ($id: ID!) { hub(id: $id) { id } }`, {
      id: hub.hubId,
    });
    expect(found.hub).toBeNull();
    await page.context().close();
  });
});
