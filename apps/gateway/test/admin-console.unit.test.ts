import { mkdir, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_CONSOLE_SECURITY_HEADERS,
  type AdminConsole,
  createAdminConsole,
  isAdminConsolePath,
} from "../src/admin-console.ts";

const INDEX_HTML =
  '<!doctype html><html><head><script type="module" src="/admin/assets/index-abc123.js"></script>' +
  '<link rel="stylesheet" href="/admin/assets/index-abc123.css"></head><body><div id="root"></div></body></html>';
const ASSET_JS = `console.log("admin console ${"x".repeat(200)}");\n`;
const ASSET_CSS = "body { margin: 0 }\n";
const FAVICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"></svg>';
/** Lives beside the served directory: no path under /admin may reach it. */
const OUTSIDE = '{ "name": "outside-the-console-OUTSIDE-MARKER" }';
const SECRET = "SECRET-DOTFILE-MARKER";
const HUB_ID = "0b8f3c52-6f0e-4c7a-9d61-2f3e8a1b5c4d";

const ASSET_CACHE = "public, max-age=31536000, immutable";
const HTML_CACHE = "no-cache";
const OTHER_CACHE = "public, max-age=300";

type Served = { readonly url: string; close(): Promise<void> };

/**
 * A plain HTTP server that routes as the gateway's http-server does: the URL parsed with `new URL`
 * (which removes dot segments), /admin paths to the console, a URIError (malformed escape) → 400.
 */
async function serve(adminConsole: AdminConsole): Promise<Served> {
  const server = http.createServer((req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://x");
      if (!isAdminConsolePath(url.pathname)) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ success: false, error: "Not Found", code: 404 }));
        return;
      }
      adminConsole.handle(req, res, url);
    } catch (error) {
      res.writeHead(error instanceof URIError ? 400 : 500, { "content-type": "application/json" });
      res.end(JSON.stringify({ success: false, error: String(error) }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A request with the path sent exactly as written (fetch would normalize `..` first). */
function raw(
  base: string,
  rawPath: string,
  method = "GET",
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: rawPath, method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function expectSecurityHeaders(headers: Headers | http.IncomingHttpHeaders): void {
  const get = (name: string) =>
    headers instanceof Headers ? headers.get(name) : (headers[name] as string | undefined);
  const csp = get("content-security-policy") ?? "";
  expect(csp).toMatch(/^default-src 'self'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toBe(ADMIN_CONSOLE_SECURITY_HEADERS["content-security-policy"]);
  expect(get("x-content-type-options")).toBe("nosniff");
  expect(get("referrer-policy")).toBe("no-referrer");
  expect(get("x-frame-options")).toBe("DENY");
}

async function expectNotFoundJson(response: Response): Promise<void> {
  expect(response.status).toBe(404);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await response.text();
  expect(JSON.parse(body)).toMatchObject({ success: false, code: 404 });
  expect(body).not.toContain("<!doctype html>");
  expectSecurityHeaders(response.headers);
}

let root: string;
let dist: string;
let served: Served;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "admin-console-"));
  dist = path.join(root, "dist");
  await mkdir(path.join(dist, "assets"), { recursive: true });
  await writeFile(path.join(root, "package.json"), OUTSIDE);
  await writeFile(path.join(dist, "index.html"), INDEX_HTML);
  await writeFile(path.join(dist, "assets", "index-abc123.js"), ASSET_JS);
  await writeFile(path.join(dist, "assets", "index-abc123.css"), ASSET_CSS);
  await writeFile(path.join(dist, "favicon.svg"), FAVICON);
  await writeFile(path.join(dist, ".secret"), SECRET);
  served = await serve(createAdminConsole({ dir: dist }));
});

afterAll(async () => {
  await served?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("admin console: paths", () => {
  it("names /admin and what is under /admin/, nothing else", () => {
    expect(isAdminConsolePath("/admin")).toBe(true);
    expect(isAdminConsolePath("/admin/")).toBe(true);
    expect(isAdminConsolePath("/admin/hubs")).toBe(true);
    expect(isAdminConsolePath("/administrator")).toBe(false);
    expect(isAdminConsolePath("/graphql")).toBe(false);
  });

  it("reports whether it is built", async () => {
    expect(createAdminConsole({ dir: dist }).isBuilt()).toBe(true);
    expect(createAdminConsole({ dir: path.join(root, "missing") }).isBuilt()).toBe(false);
    expect(createAdminConsole({ dir: path.relative(process.cwd(), dist) }).dir).toBe(dist);
  });
});

describe("admin console: serving the built app", () => {
  it("moves /admin to /admin/ (308), keeping the query", async () => {
    for (const [from, to] of [
      ["/admin", "/admin/"],
      ["/admin?x=1", "/admin/?x=1"],
    ] as const) {
      const response = await fetch(`${served.url}${from}`, { redirect: "manual" });
      expect(response.status).toBe(308);
      expect(response.headers.get("location")).toBe(to);
      expect(await response.text()).toBe("");
      expectSecurityHeaders(response.headers);
    }
  });

  it("answers /admin/ and client routes with index.html (no-cache)", async () => {
    for (const route of [
      "/admin/",
      "/admin/index.html",
      "/admin/hubs",
      `/admin/hubs/${HUB_ID}`,
      "/admin/live",
    ]) {
      const response = await fetch(`${served.url}${route}`);
      expect(response.status, route).toBe(200);
      expect(response.headers.get("content-type"), route).toMatch(/^text\/html/);
      expect(response.headers.get("cache-control"), route).toBe(HTML_CACHE);
      expect(await response.text(), route).toBe(INDEX_HTML);
      expectSecurityHeaders(response.headers);
    }
  });

  it("serves hashed assets as immutable, with an ETag that answers 304 with the same caching", async () => {
    const response = await fetch(`${served.url}/admin/assets/index-abc123.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/javascript/);
    expect(response.headers.get("cache-control")).toBe(ASSET_CACHE);
    expect(await response.text()).toBe(ASSET_JS);
    expectSecurityHeaders(response.headers);
    const etag = response.headers.get("etag");
    expect(etag).toBeTruthy();

    const again = await fetch(`${served.url}/admin/assets/index-abc123.js`, {
      headers: { "if-none-match": etag ?? "" },
    });
    expect(again.status).toBe(304);
    expect(again.headers.get("cache-control")).toBe(ASSET_CACHE);
    expect(await again.text()).toBe("");
    expectSecurityHeaders(again.headers);

    const css = await fetch(`${served.url}/admin/assets/index-abc123.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
    expect(css.headers.get("cache-control")).toBe(ASSET_CACHE);
    expect(await css.text()).toBe(ASSET_CSS);
  });

  it("serves unhashed files for five minutes", async () => {
    const response = await fetch(`${served.url}/admin/favicon.svg`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
    expect(response.headers.get("cache-control")).toBe(OTHER_CACHE);
    expect(await response.text()).toBe(FAVICON);
    expectSecurityHeaders(response.headers);
  });

  it("answers 404 (JSON, not index.html) for a missing file with an extension or under assets/", async () => {
    for (const missing of ["/admin/assets/nope.js", "/admin/assets/nope", "/admin/nope.js"]) {
      await expectNotFoundJson(await fetch(`${served.url}${missing}`));
    }
  });

  it("ignores Range: the whole file, 200", async () => {
    for (const range of ["bytes=0-9", "bytes=-5", "bytes=10-2", `bytes=${ASSET_JS.length + 10}-`]) {
      const response = await fetch(`${served.url}/admin/assets/index-abc123.js`, { headers: { range } });
      expect(response.status, range).toBe(200);
      expect(response.headers.get("content-range"), range).toBeNull();
      expect(await response.text(), range).toBe(ASSET_JS);
    }
  });
});

describe("admin console: methods", () => {
  it("answers 405 with Allow: GET, HEAD for other methods", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      const response = await fetch(`${served.url}/admin/`, { method });
      expect(response.status, method).toBe(405);
      expect(response.headers.get("allow"), method).toBe("GET, HEAD");
      expect(await response.json()).toMatchObject({ success: false, code: 405 });
      expectSecurityHeaders(response.headers);
    }
  });

  it("answers HEAD like GET, without a body", async () => {
    const response = await fetch(`${served.url}/admin/`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("cache-control")).toBe(HTML_CACHE);
    expect(await response.text()).toBe("");
    expectSecurityHeaders(response.headers);

    const asset = await raw(served.url, "/admin/assets/index-abc123.js", "HEAD");
    expect(asset.status).toBe(200);
    expect(asset.headers["cache-control"]).toBe(ASSET_CACHE);
    expect(asset.body).toBe("");
  });
});

describe("admin console: nothing outside the build, no dotfiles", () => {
  it("hides dotfiles, also behind escapes", async () => {
    for (const dotfile of [
      "/admin/.secret",
      "/admin/%2esecret",
      "/admin/%2Esecret",
      "/admin/assets/../.secret",
    ]) {
      const response = await raw(served.url, dotfile);
      expect(response.status, dotfile).toBe(404);
      expect(response.body, dotfile).not.toContain(SECRET);
      expectSecurityHeaders(response.headers);
    }
  });

  it("never answers a file outside the directory, whatever the path's spelling", async () => {
    for (const traversal of [
      "/admin/../package.json",
      "/admin/%2e%2e/%2e%2e/package.json",
      "/admin/%2e%2e/package.json",
      "/admin/..%2f..%2fpackage.json",
      "/admin/..%2fpackage.json",
      "/admin/assets/..%2f..%2fpackage.json",
      "/admin/assets%2f..%2f..%2fpackage.json",
      "/admin/..%5c..%5cpackage.json",
      "/admin/%2e%2e%2fpackage.json",
      "/admin/assets/%2e%2e/%2e%2e/package.json",
      "/admin/..\\package.json",
    ]) {
      const response = await raw(served.url, traversal);
      expect([400, 404], `${traversal} → ${response.status}`).toContain(response.status);
      expect(response.body, traversal).not.toContain("OUTSIDE-MARKER");
    }
  });

  it("answers 400 for a malformed escape", async () => {
    const response = await raw(served.url, "/admin/%E0%A4%A");
    expect(response.status).toBe(400);
    expectSecurityHeaders(response.headers);
  });

  it("answers 404 for a path with a NUL byte", async () => {
    const response = await raw(served.url, "/admin/index.html%00.js");
    expect(response.status).toBe(404);
    expectSecurityHeaders(response.headers);
  });
});

describe("admin console: builds", () => {
  it("answers 503 until built, then serves the build without a restart", async () => {
    const unbuilt = path.join(root, "unbuilt");
    await mkdir(unbuilt);
    const adminConsole = createAdminConsole({ dir: unbuilt });
    const server = await serve(adminConsole);
    try {
      for (const route of ["/admin/", "/admin/hubs", "/admin/assets/index-abc123.js"]) {
        const response = await fetch(`${server.url}${route}`);
        expect(response.status, route).toBe(503);
        expect(response.headers.get("content-type")).toMatch(/^application\/json/);
        const body = (await response.json()) as { success: boolean; code: number; message: string };
        expect(body).toMatchObject({ success: false, code: 503 });
        expect(body.message).toContain("npm run build");
        expectSecurityHeaders(response.headers);
      }
      expect(adminConsole.isBuilt()).toBe(false);
      // The redirect does not need the build.
      expect((await fetch(`${server.url}/admin`, { redirect: "manual" })).status).toBe(308);

      await mkdir(path.join(unbuilt, "assets"));
      await writeFile(path.join(unbuilt, "assets", "index-abc123.js"), ASSET_JS);
      await writeFile(path.join(unbuilt, "index.html"), INDEX_HTML);
      expect(adminConsole.isBuilt()).toBe(true);
      const built = await fetch(`${server.url}/admin/`);
      expect(built.status).toBe(200);
      expect(await built.text()).toBe(INDEX_HTML);
      const asset = await fetch(`${server.url}/admin/assets/index-abc123.js`);
      expect(asset.status).toBe(200);
      expect(await asset.text()).toBe(ASSET_JS);

      // Removed again (a clean before the next build): 503 once more.
      await unlink(path.join(unbuilt, "index.html"));
      expect((await fetch(`${server.url}/admin/`)).status).toBe(503);
    } finally {
      await server.close();
    }
  });

  it("serves a rebuild (new index.html naming a new asset) without a restart", async () => {
    const rebuilt = path.join(root, "rebuilt");
    await mkdir(path.join(rebuilt, "assets"), { recursive: true });
    await writeFile(path.join(rebuilt, "index.html"), INDEX_HTML);
    await writeFile(path.join(rebuilt, "assets", "index-abc123.js"), ASSET_JS);
    const server = await serve(createAdminConsole({ dir: rebuilt }));
    try {
      expect(await (await fetch(`${server.url}/admin/`)).text()).toBe(INDEX_HTML);
      expect((await fetch(`${server.url}/admin/assets/index-abc123.js`)).status).toBe(200);
      expect((await fetch(`${server.url}/admin/assets/index-new456.js`)).status).toBe(404);

      const newJs = 'console.log("the new build");\n';
      const newIndex = INDEX_HTML.replaceAll("index-abc123", "index-new456").replace(
        "<body>",
        "<body><!-- rebuilt -->",
      );
      await writeFile(path.join(rebuilt, "assets", "index-new456.js"), newJs);
      await unlink(path.join(rebuilt, "assets", "index-abc123.js"));
      await writeFile(path.join(rebuilt, "index.html"), newIndex);

      const index = await fetch(`${server.url}/admin/`);
      expect(index.status).toBe(200);
      expect(await index.text()).toBe(newIndex);
      const client = await fetch(`${server.url}/admin/hubs`);
      expect(await client.text()).toBe(newIndex);
      const asset = await fetch(`${server.url}/admin/assets/index-new456.js`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get("cache-control")).toBe(ASSET_CACHE);
      expect(await asset.text()).toBe(newJs);
      // The old build's file is gone with it.
      await expectNotFoundJson(await fetch(`${server.url}/admin/assets/index-abc123.js`));
    } finally {
      await server.close();
    }
  });

  it("serves a file written after the listing (a build still writing) without a restart", async () => {
    const late = path.join(root, "late");
    await mkdir(path.join(late, "assets"), { recursive: true });
    await writeFile(path.join(late, "index.html"), INDEX_HTML);
    const server = await serve(createAdminConsole({ dir: late }));
    try {
      expect((await fetch(`${server.url}/admin/`)).status).toBe(200);
      await writeFile(path.join(late, "assets", "index-abc123.js"), ASSET_JS);
      const asset = await fetch(`${server.url}/admin/assets/index-abc123.js`);
      expect(asset.status).toBe(200);
      expect(await asset.text()).toBe(ASSET_JS);
    } finally {
      await server.close();
    }
  });
});
