import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { freePort } from "@hub/test-support";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { createWebhookSender, parseRetryAfter, type WebhookSender } from "../src/http-sender.ts";

type Received = { method: string; url: string; headers: IncomingHttpHeaders; body: string };
type Handler = (req: IncomingMessage, res: ServerResponse) => void;
type TestServer = { url: string; port: number; received: Received[]; connections: number };

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real server on a free loopback port; it records each request once its body has arrived. */
async function startServer(handler: Handler): Promise<TestServer> {
  const port = await freePort();
  const state: TestServer = { url: `http://127.0.0.1:${port}`, port, received: [], connections: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      state.received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      handler(req, res);
    });
  });
  server.on("connection", () => {
    state.connections += 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

function sender(options: Partial<Parameters<typeof createWebhookSender>[0]> = {}): WebhookSender {
  const created = createWebhookSender({
    allowPrivate: true,
    timeoutMs: 5_000,
    userAgent: "relay-test/1",
    ...options,
  });
  cleanups.push(() => created.close());
  return created;
}

function reply(status: number, body = "", headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
}

const plain = { headers: {}, body: "{}" };

describe("createWebhookSender: delivery", () => {
  it("sends the body and headers untouched, so a Standard Webhooks signature verifies", async () => {
    const server = await startServer(reply(200, '{"received":true}'));
    const secret = `whsec_${Buffer.from("a-32-byte-secret-for-the-tests!!").toString("base64")}`;
    const id = "msg_2hQ3b1XvY0TtE9kR";
    const timestamp = new Date();
    const body = JSON.stringify({ type: "hub.provisioned", data: { id: "hub-1", name: "Zürich ✓" } });
    const headers = {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, timestamp, body),
    };

    const result = await sender().send({ url: `${server.url}/hooks/in?tenant=7`, headers, body });

    expect(result).toMatchObject({ kind: "delivered", status: 200, responsePrefix: '{"received":true}' });
    expect(result.error).toBeUndefined();
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(server.received).toHaveLength(1);
    const [received] = server.received;
    expect(received?.method).toBe("POST");
    expect(received?.url).toBe("/hooks/in?tenant=7");
    expect(received?.body).toBe(body);
    expect(received?.headers).toMatchObject({
      ...headers,
      "content-type": "application/json",
      "user-agent": "relay-test/1",
      "content-length": String(Buffer.byteLength(body)),
    });
    const onServer = received?.headers as Record<string, string>;
    expect(new Webhook(secret).verify(received?.body ?? "", onServer)).toEqual(JSON.parse(body));
  });

  it("delivers on 204 with an empty prefix", async () => {
    const server = await startServer(reply(204));
    expect(await sender().send({ url: server.url, ...plain })).toMatchObject({
      kind: "delivered",
      status: 204,
      responsePrefix: "",
    });
  });

  it("reads only maxResponseBytes of a 1 MB response and can send again afterwards", async () => {
    const server = await startServer(reply(200, "a".repeat(1024 * 1024)));
    const relay = sender();
    const started = performance.now();
    const result = await relay.send({ url: server.url, ...plain });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result.kind).toBe("delivered");
    expect(result.responsePrefix).toBe("a".repeat(1024));

    expect((await relay.send({ url: server.url, ...plain })).kind).toBe("delivered");
    expect(server.received).toHaveLength(2);
  });

  it("stops reading at the limit rather than waiting for the end of the body", async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("b".repeat(4096));
    });
    const result = await sender({ timeoutMs: 10_000, maxResponseBytes: 100 }).send({
      url: server.url,
      ...plain,
    });
    expect(result).toMatchObject({ kind: "delivered", responsePrefix: "b".repeat(100) });
    expect(result.durationMs).toBeLessThan(5_000);
  });

  it("strips control characters and does not split a UTF-8 character at the limit", async () => {
    const server = await startServer(reply(200, 'ok\u0000\u001b[31m\u0007 "x"\tfine\r\n\u009bz'));
    expect((await sender().send({ url: server.url, ...plain })).responsePrefix).toBe('ok[31m "x"\tfine\r\nz');

    const cut = await startServer(reply(200, "abcdé-tail"));
    expect((await sender({ maxResponseBytes: 5 }).send({ url: cut.url, ...plain })).responsePrefix).toBe(
      "abcd",
    );
  });
});

describe("createWebhookSender: status classification", () => {
  it.each([500, 502, 503, 504])("HTTP %i is retryable", async (status) => {
    const server = await startServer(reply(status, "upstream down"));
    expect(await sender().send({ url: server.url, ...plain })).toMatchObject({
      kind: "retryable",
      status,
      error: `HTTP ${status}`,
      responsePrefix: "upstream down",
    });
  });

  it.each([408, 429])("HTTP %i is retryable", async (status) => {
    const server = await startServer(reply(status));
    const result = await sender().send({ url: server.url, ...plain });
    expect(result).toMatchObject({ kind: "retryable", status, error: `HTTP ${status}` });
    expect(result.retryAfterMs).toBeUndefined();
  });

  it.each([400, 401, 403, 404, 405, 410, 413, 422])("HTTP %i is permanent", async (status) => {
    const server = await startServer(reply(status, '{"error":"nope"}'));
    expect(await sender().send({ url: server.url, ...plain })).toMatchObject({
      kind: "permanent",
      status,
      error: `HTTP ${status}`,
      responsePrefix: '{"error":"nope"}',
    });
  });

  it("takes Retry-After in seconds on 503", async () => {
    const server = await startServer(reply(503, "", { "retry-after": "120" }));
    expect(await sender().send({ url: server.url, ...plain })).toMatchObject({
      kind: "retryable",
      status: 503,
      retryAfterMs: 120_000,
    });
  });

  it("takes Retry-After as an HTTP-date on 429", async () => {
    const at = new Date(Date.now() + 90_000).toUTCString();
    const server = await startServer(reply(429, "", { "retry-after": at }));
    const result = await sender().send({ url: server.url, ...plain });
    expect(result).toMatchObject({ kind: "retryable", status: 429 });
    // An HTTP-date has whole seconds only.
    expect(result.retryAfterMs).toBeGreaterThan(80_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(90_000);
  });

  it("caps Retry-After at 24 h and ignores it on other statuses", async () => {
    const far = await startServer(reply(503, "", { "retry-after": "999999999" }));
    expect((await sender().send({ url: far.url, ...plain })).retryAfterMs).toBe(24 * 3_600_000);
    const other = await startServer(reply(500, "", { "retry-after": "120" }));
    expect((await sender().send({ url: other.url, ...plain })).retryAfterMs).toBeUndefined();
  });

  it("ignores a garbage Retry-After", async () => {
    const server = await startServer(reply(429, "", { "retry-after": "soon" }));
    const result = await sender().send({ url: server.url, ...plain });
    expect(result.kind).toBe("retryable");
    expect(result.retryAfterMs).toBeUndefined();
  });

  it.each([301, 302, 303, 307, 308])("does not follow a %i redirect and gives up", async (status) => {
    const target = await startServer(reply(200));
    const server = await startServer(reply(status, "", { location: `${target.url}/elsewhere` }));
    const result = await sender().send({ url: server.url, ...plain });
    expect(result).toMatchObject({
      kind: "permanent",
      status,
      error: `redirect not followed (${status} to ${target.url}/elsewhere)`,
    });
    expect(server.received).toHaveLength(1);
    expect(target.received).toHaveLength(0);
    expect(target.connections).toBe(0);
  });
});

describe("createWebhookSender: network failures and timeouts", () => {
  it("times out a server that never answers", async () => {
    const server = await startServer(() => {});
    const started = performance.now();
    const result = await sender({ timeoutMs: 300 }).send({ url: server.url, ...plain });
    const took = performance.now() - started;
    expect(result).toMatchObject({ kind: "retryable", error: "timed out after 300 ms" });
    expect(result.status).toBeUndefined();
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(5_000);
    expect(server.received).toHaveLength(1);
  });

  it("cuts a body trickled byte by byte at the total timeout", async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      // Each byte comes well within any per-read timeout: only a total deadline stops this.
      const timer = setInterval(() => res.write("."), 20);
      res.on("close", () => clearInterval(timer));
    });
    const started = performance.now();
    const result = await sender({ timeoutMs: 300 }).send({ url: server.url, ...plain });
    const took = performance.now() - started;
    expect(result).toMatchObject({ kind: "retryable", status: 200 });
    expect(result.error).toMatch(/^timed out after 300 ms/);
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(5_000);
  });

  it("reports a refused connection as retryable", async () => {
    const port = await freePort();
    expect(await sender().send({ url: `http://127.0.0.1:${port}/`, ...plain })).toMatchObject({
      kind: "retryable",
      error: "connection refused",
    });
  });

  it("reports a connection closed before any response as retryable", async () => {
    const server = await startServer((req) => req.socket.destroy());
    const result = await sender().send({ url: server.url, ...plain });
    expect(result.kind).toBe("retryable");
    expect(result.error).toMatch(/^connection (closed|reset)/);
  });

  it("reports a name that does not resolve as retryable", async () => {
    const result = await sender({ timeoutMs: 3_000 }).send({ url: "http://no-such-host.invalid/", ...plain });
    expect(result.kind).toBe("retryable");
    expect(result.error).toMatch(/DNS|timed out/);
  });
});

describe("createWebhookSender: refusals", () => {
  it("refuses a loopback literal without allowPrivate, before connecting", async () => {
    const server = await startServer(reply(200));
    const relay = sender({ allowPrivate: false });
    const https = await relay.send({ url: `https://127.0.0.1:${server.port}/`, ...plain });
    expect(https).toMatchObject({
      kind: "permanent",
      error: "the address 127.0.0.1 is not a public address",
    });
    const http = await relay.send({ url: `${server.url}/`, ...plain });
    expect(http).toMatchObject({ kind: "permanent", error: "the URL must use https" });
    expect(server.connections).toBe(0);
  });

  it("refuses a name resolving to loopback without allowPrivate, before connecting", async () => {
    const server = await startServer(reply(200));
    const result = await sender({ allowPrivate: false }).send({
      url: `https://localhost:${server.port}/`,
      ...plain,
    });
    expect(result.kind).toBe("permanent");
    expect(result.status).toBeUndefined();
    expect(result.error).toMatch(/^refused to connect to localhost \(resolves to (127\.0\.0\.1|::1)\)/);
    expect(server.connections).toBe(0);
    expect(server.received).toHaveLength(0);
  });

  it("turns a bad URL or a bad header into a permanent result instead of throwing", async () => {
    const relay = sender();
    expect(await relay.send({ url: "ftp://example.com/", ...plain })).toMatchObject({
      kind: "permanent",
      error: "only http and https URLs are allowed",
    });
    const server = await startServer(reply(200));
    const result = await relay.send({ url: server.url, headers: { "x-bad": "a\r\nb" }, body: "{}" });
    expect(result.kind).toBe("permanent");
    expect(result.error).toMatch(/^invalid request/);
    expect(server.received).toHaveLength(0);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2030-01-01T00:00:00Z");

  it.each([
    ["0", undefined],
    ["1", 1_000],
    [" 30 ", 30_000],
    ["86401", 86_400_000],
    ["Tue, 01 Jan 2030 00:01:00 GMT", 60_000],
    ["Tuesday, 01-Jan-30 00:02:00 GMT", 120_000],
    ["Tue Jan  1 00:00:30 2030", 30_000],
    ["Mon, 31 Dec 2029 23:59:00 GMT", undefined],
    ["-5", undefined],
    ["1.5", undefined],
    ["2031", 2_031_000],
    ["soon", undefined],
    ["", undefined],
    [undefined, undefined],
  ])("%j → %j", (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
