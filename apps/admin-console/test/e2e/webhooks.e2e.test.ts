import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cloneTemplate, hasChromium, NEEDS_CHROMIUM, type TestDatabase } from "@hub/test-support";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, screenshots, seriousViolations, tabTo, widths } from "./browser.ts";
import { type ConsoleSystem, provisionHubWithKey, startConsoleSystem } from "./system.ts";

/**
 * A webhook subscription made in the console, delivering to an endpoint this test runs on
 * 127.0.0.1 (`npm start` lets the relay reach this machine; production refuses it): a delivery
 * that fails until it is a dead letter, replayed from the console once the endpoint answers 200;
 * pause and resume; a new signing secret; deletion after a confirmation.
 */
let database: TestDatabase;
let system: ConsoleSystem;
let browser: Browser;
let endpoint: Server;
let endpointUrl = "";
/** What the endpoint answers now, and every request it received. */
let answer = 500;
const received: { headers: IncomingHttpHeaders; body: string; answered: number }[] = [];
const run = randomUUID().slice(0, 6).toUpperCase();

async function graphqlAsAdmin(query: string, variables: Record<string, unknown>) {
  const response = await fetch(`${system.gatewayUrl}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${system.token({ role: "admin" }, "webhooks-e2e")}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: unknown[] };
}

/**
 * Reloads the webhook's page until it lists one delivery of the status (deliveries are sent in the
 * background, and the page shows them as they were when it loaded).
 */
async function expectDeliveriesShown(page: Page, status: "DEAD" | "DELIVERED", timeout: number) {
  await expect
    .poll(
      async () => {
        await page.reload();
        await page.getByRole("heading", { name: "Deliveries (newest first)" }).waitFor();
        return page.locator(`li.delivery[data-status=${status}]`).count();
      },
      { timeout, interval: 1000 },
    )
    .toBe(1);
}

async function signedInPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: widths.desktop });
  const page = await context.newPage();
  await page.goto(system.signInLink);
  await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
  return page;
}

describe.runIf(hasChromium())(`webhooks in the console (${NEEDS_CHROMIUM})`, () => {
  let orgId = "";
  let orgName = "";
  let apiKey = "";

  beforeAll(async () => {
    database = await cloneTemplate(inject("dbTemplate"));
    endpoint = createServer((request, response) => {
      let body = "";
      request.setEncoding("utf8");
      request.on("data", (chunk: string) => {
        body += chunk;
      });
      request.on("end", () => {
        received.push({ headers: request.headers, body, answered: answer });
        response.writeHead(answer, { "content-type": "text/plain" });
        response.end(answer === 200 ? "ok" : "endpoint down for the test");
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
    endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/hooks/${run}`;
    // Three attempts 300 ms apart, then a dead letter (the default schedule spans a day).
    system = await startConsoleSystem({
      databaseUrl: database.url,
      env: { WEBHOOK_RETRY_SCHEDULE: "300ms,300ms" },
    });
    browser = await launchChromium();
    orgName = `Webhook partner ${run}`;
    const created = await graphqlAsAdmin(
      `mutation O($name: String!) { createOrganization(name: $name) { __typename ... on Organization { id } } }`,
      { name: orgName },
    );
    orgId = created.data?.createOrganization.id;
    const issued = await graphqlAsAdmin(
      `mutation I($input: IssueApiKeyInput!) { issueApiKey(input: $input) { ... on IssuedApiKey { key } } }`,
      { input: { orgId, name: "line", permissions: ["HUBS_PROVISION"] } },
    );
    apiKey = issued.data?.issueApiKey.key;
    expect(apiKey).toMatch(/^hub_/);
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await new Promise<void>((resolve) => (endpoint ? endpoint.close(() => resolve()) : resolve()));
    await database?.drop();
  });

  it("delivers, dead-letters, replays from the console, pauses, resumes, rotates the secret and deletes", async () => {
    const page = await signedInPage();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
    await page.getByRole("heading", { name: "Webhooks", level: 1 }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    // Created for the organization (chosen by name), for provisioning events only.
    await page.getByLabel("Organization", { exact: true }).selectOption({ label: orgName });
    await page.getByLabel("Endpoint URL").fill(endpointUrl);
    await page.getByLabel("Description (optional)").fill("Partner ERP");
    await page.getByRole("checkbox", { name: "HubProvisioned" }).check();
    await page.getByRole("button", { name: "Create subscription" }).click();
    const panel = page.getByTestId("secret-panel");
    await panel.waitFor();
    const secret = (await page.getByTestId("secret-value").textContent()) ?? "";
    expect(secret).toMatch(/^whsec_/);
    expect(await panel.textContent()).toContain("you will not see it again");
    expect(await seriousViolations(page)).toEqual([]);
    await panel.getByRole("button", { name: /hide it/ }).click();
    const row = page.locator("tr[data-webhook-id]", { hasText: endpointUrl });
    await row.waitFor();
    expect(await row.getByRole("link", { name: orgName }).getAttribute("title")).toContain(orgId);
    await screenshots(page, "webhooks");

    // A hub of the organization: its HubProvisioned fails three times and becomes a dead letter.
    answer = 500;
    const hub = await provisionHubWithKey(system, apiKey, `WH-${run}-1`);
    expect(hub.status).toBe(201);
    await row.getByRole("link", { name: endpointUrl }).click();
    await page.getByRole("heading", { name: /^Webhook/, level: 1 }).waitFor();
    const webhookPath = new URL(page.url()).pathname;
    await page.getByRole("link", { name: "Dead letters" }).click();
    await page.waitForURL((url) => url.searchParams.get("status") === "DEAD");
    const dead = page.locator("li.delivery[data-status=DEAD]");
    await expectDeliveriesShown(page, "DEAD", 30_000);
    expect(received.filter((request) => request.answered === 500)).toHaveLength(3);
    const attempts = dead.locator("table.attempts tbody tr");
    expect(await attempts.count()).toBe(3);
    expect(await attempts.first().textContent()).toContain("500");
    expect(await dead.textContent()).toContain(hub.hubId);
    await screenshots(page, "webhook-dead-letter");
    expect(await seriousViolations(page)).toEqual([]);

    // The endpoint is back: the dead letter is replayed with the keyboard alone, and delivered.
    answer = 200;
    await tabTo(page, "li.delivery button");
    await page.keyboard.press("Enter");
    await expect
      .poll(() => received.filter((request) => request.answered === 200).length, { timeout: 20_000 })
      .toBe(1);
    const webhookIds = new Set(received.map((request) => request.headers["webhook-id"]));
    expect(webhookIds).toEqual(new Set([`${hub.hubId}:1`]));
    expect(JSON.parse(received.at(-1)?.body ?? "{}")).toMatchObject({ type: "HubProvisioned" });
    await page.goto(`${system.gatewayUrl}/admin${webhookPath.replace(/^\/admin/, "")}?status=DELIVERED`);
    await expectDeliveriesShown(page, "DELIVERED", 20_000);

    // Another dead letter, replayed with "Replay all dead letters".
    answer = 500;
    const second = await provisionHubWithKey(system, apiKey, `WH-${run}-2`);
    expect(second.status).toBe(201);
    await page.getByRole("link", { name: "Dead letters" }).click();
    await expectDeliveriesShown(page, "DEAD", 30_000);
    answer = 200;
    await page.getByRole("button", { name: /Replay all dead letters/ }).click();
    const replayAll = page.getByRole("dialog", { name: "Replay every dead letter?" });
    expect(await seriousViolations(page)).toEqual([]);
    await replayAll.getByRole("button", { name: "Replay all" }).click();
    await expect
      .poll(
        () =>
          received.filter(
            (request) => request.answered === 200 && request.headers["webhook-id"] === `${second.hubId}:1`,
          ).length,
        { timeout: 20_000 },
      )
      .toBe(1);

    // Pause with a reason, then resume.
    await page.getByRole("button", { name: "Pause…" }).click();
    const pause = page.getByRole("dialog", { name: "Pause this subscription?" });
    await pause.getByLabel("Reason (optional)").fill("ERP maintenance");
    await pause.getByRole("button", { name: "Pause" }).click();
    await expect
      .poll(() => page.getByTestId("webhook-status").textContent())
      .toBe("PAUSED (ERP maintenance)");
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole("button", { name: "Resume" }).click();
    await expect.poll(() => page.getByTestId("webhook-status").textContent()).toBe("ACTIVE");

    // A new signing secret, shown once.
    await page.getByRole("button", { name: "Rotate signing secret…" }).click();
    await page
      .getByRole("dialog", { name: "Rotate the signing secret?" })
      .getByRole("button", { name: "Rotate secret" })
      .click();
    await panel.waitFor();
    const rotated = (await page.getByTestId("secret-value").textContent()) ?? "";
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await panel.getByRole("button", { name: /hide it/ }).click();
    await screenshots(page, "webhook");

    // Deleting asks first, saying what goes with it.
    await page.getByRole("button", { name: "Delete…" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete this subscription?" });
    const warning = (await confirm.textContent()) ?? "";
    expect(warning).toContain("pending deliveries");
    expect(warning).toContain("dead letters are deleted with it");
    expect(await seriousViolations(page)).toEqual([]);
    await confirm.getByRole("button", { name: "Delete subscription" }).click();
    await page.waitForURL((url) => url.pathname.endsWith("/admin/webhooks"));
    await page.getByRole("heading", { name: "Webhooks", level: 1 }).waitFor();
    await expect.poll(() => page.locator("tr[data-webhook-id]", { hasText: endpointUrl }).count()).toBe(0);
    await page.context().close();
  });
});
