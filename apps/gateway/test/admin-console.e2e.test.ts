import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort, type ServiceProcess, startService, TEST_SECRETS } from "@hub/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const INDEX_HTML =
  '<!doctype html><html><head><script type="module" src="/admin/assets/index-e2e789.js"></script></head>' +
  '<body><div id="root">e2e console</div></body></html>';

// The real gateway process (src/main.ts, as `npm start` runs it) with ADMIN_CONSOLE_DIR set; no
// database and no hub-service are needed for what is asserted here, so none is started.
let root: string;
let gateway: ServiceProcess | undefined;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "admin-console-e2e-"));
  const dist = path.join(root, "dist");
  await mkdir(path.join(dist, "assets"), { recursive: true });
  await writeFile(path.join(dist, "index.html"), INDEX_HTML);
  await writeFile(path.join(dist, "assets", "index-e2e789.js"), "export {};\n");
  const [port, nobody] = [await freePort(), await freePort()];
  gateway = await startService({
    name: "gateway-admin-console",
    entry: "apps/gateway/src/main.ts",
    env: {
      GATEWAY_PORT: String(port),
      // Nothing listens there: /readyz would say so, /healthz and the console do not ask.
      HUB_SERVICE_URL: `http://127.0.0.1:${nobody}`,
      SERVICE_JWT_SECRET: TEST_SECRETS.service,
      GATEWAY_JWT_SECRET: TEST_SECRETS.gatewayJwt,
      ADMIN_CONSOLE_DIR: dist,
    },
    port,
    readyPath: "/healthz",
    logDir: root,
  });
});

afterAll(async () => {
  await gateway?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("the gateway with ADMIN_CONSOLE_DIR", () => {
  it("answers /admin/ with the console and still answers /healthz and /graphql", async () => {
    const url = gateway?.url ?? "";
    const page = await fetch(`${url}/admin/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toMatch(/^default-src 'self'/);
    expect(page.headers.get("x-request-id")).toBeTruthy();
    expect(await page.text()).toBe(INDEX_HTML);

    const route = await fetch(`${url}/admin/hubs`);
    expect(await route.text()).toBe(INDEX_HTML);
    const asset = await fetch(`${url}/admin/assets/index-e2e789.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await fetch(`${url}/admin`, { redirect: "manual" })).headers.get("location")).toBe("/admin/");
    expect((await fetch(`${url}/admin/%E0%A4%A`)).status).toBe(400);

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect(health.headers.get("content-security-policy")).toBeNull();

    const graphql = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(graphql.status).toBe(200);
    expect(await graphql.json()).toEqual({ data: { __typename: "Query" } });
  });
});
