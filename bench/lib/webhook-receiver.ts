/**
 * A partner's webhook endpoint for bench/delivery.ts, run as its own process (startService) so
 * the load generator's event loop never delays a receipt. Every POST /hook is verified with
 * standardwebhooks, timed at the end of its body (Date.now(), the same clock as PostgreSQL's
 * `recorded_at` on this machine) and answered 204. The bench reads and resets the counters:
 *   GET  /healthz  readiness
 *   GET  /count    deliveries received since the last reset (unique webhook-ids)
 *   GET  /stats    the counters and every lag (ms, commit → receipt) since the last reset
 *   POST /reset    starts a new cell (the webhook-ids seen stay remembered, so a re-delivery of
 *                  an earlier cell's event still counts as a duplicate)
 * Env: RECEIVER_PORT, RECEIVER_SECRET (the subscription's whsec_… secret).
 */
import http from "node:http";
import { pathToFileURL } from "node:url";
import { Webhook } from "standardwebhooks";

export type ReceiverStats = {
  /** Unique webhook-ids received in this cell. */
  readonly received: number;
  /** Requests whose webhook-id had been received before (this cell or an earlier one). */
  readonly duplicates: number;
  /** A hub's event arriving after a later version of the same hub. */
  readonly orderViolations: number;
  readonly verifyFailures: number;
  /** Bodies that were not the expected JSON shape. */
  readonly malformed: number;
  /** Receipt time of the first and the last unique delivery (epoch ms), 0 if none. */
  readonly firstAt: number;
  readonly lastAt: number;
  /** Commit → receipt, ms, one per unique delivery. */
  readonly lags: number[];
  /** Since the receiver started, every cell together. */
  readonly totalReceived: number;
  readonly totalDuplicates: number;
};

type Counters = { -readonly [K in keyof ReceiverStats]: ReceiverStats[K] };
type CellCounters = Omit<Counters, "totalReceived" | "totalDuplicates">;

const fresh = (): CellCounters => ({
  received: 0,
  duplicates: 0,
  orderViolations: 0,
  verifyFailures: 0,
  malformed: 0,
  firstAt: 0,
  lastAt: 0,
  lags: [],
});

/** The receiver's state and its request handler (exported for the bench's own use and tests). */
export function createReceiver(secret: string) {
  const verifier = new Webhook(secret);
  const seen = new Set<string>();
  const lastVersion = new Map<string, number>();
  let cell = fresh();
  const total = { received: 0, duplicates: 0 };

  function record(body: string, headers: http.IncomingHttpHeaders, at: number): void {
    try {
      verifier.verify(body, headers as Record<string, string>);
    } catch {
      cell.verifyFailures++;
    }
    const id = String(headers["webhook-id"] ?? "");
    if (seen.has(id)) {
      cell.duplicates++;
      total.duplicates++;
      return;
    }
    seen.add(id);
    let event: { timestamp?: unknown; data?: { hubId?: unknown; version?: unknown } };
    try {
      event = JSON.parse(body);
    } catch {
      cell.malformed++;
      return;
    }
    const hubId = event.data?.hubId;
    const version = event.data?.version;
    const committed = typeof event.timestamp === "string" ? Date.parse(event.timestamp) : Number.NaN;
    if (typeof hubId !== "string" || typeof version !== "number" || Number.isNaN(committed)) {
      cell.malformed++;
      return;
    }
    if ((lastVersion.get(hubId) ?? 0) > version) cell.orderViolations++;
    else lastVersion.set(hubId, version);
    cell.received++;
    total.received++;
    cell.firstAt ||= at;
    cell.lastAt = at;
    cell.lags.push(at - committed);
  }

  const reply = (res: http.ServerResponse, status: number, value?: unknown) => {
    if (value === undefined) res.writeHead(status).end();
    else res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const route = `${req.method} ${req.url?.split("?")[0]}`;
    if (route === "POST /hook") {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        record(Buffer.concat(chunks).toString("utf8"), req.headers, Date.now());
        reply(res, 204);
      });
      return;
    }
    if (route === "GET /healthz") return reply(res, 200, { ok: true });
    if (route === "GET /count")
      return reply(res, 200, { received: cell.received, duplicates: cell.duplicates });
    if (route === "GET /stats") {
      const stats: ReceiverStats = {
        ...cell,
        totalReceived: total.received,
        totalDuplicates: total.duplicates,
      };
      return reply(res, 200, stats);
    }
    if (route === "POST /reset") {
      cell = fresh();
      return reply(res, 204);
    }
    reply(res, 404, { error: "Not Found" });
  };
  return { handle };
}

/** The bench's side: the receiver process' counters over HTTP. */
export function receiverClient(url: string) {
  const call = async <T>(method: "GET" | "POST", route: string): Promise<T> => {
    const response = await fetch(`${url}${route}`, { method, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`receiver ${method} ${route}: HTTP ${response.status}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
  return {
    reset: () => call<void>("POST", "/reset"),
    count: () => call<{ received: number; duplicates: number }>("GET", "/count"),
    stats: () => call<ReceiverStats>("GET", "/stats"),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const secret = process.env.RECEIVER_SECRET;
  const port = Number(process.env.RECEIVER_PORT);
  if (!secret || !port) throw new Error("webhook-receiver: RECEIVER_SECRET and RECEIVER_PORT are required");
  const { handle } = createReceiver(secret);
  const server = http.createServer({ keepAliveTimeout: 60_000 }, handle);
  server.listen(port, "127.0.0.1");
  process.once("SIGTERM", () => process.exit(0));
}
