/**
 * The bench's baseline: a bare `node:http` server with a `pg` Pool doing the same work per
 * ProvisionHub request as the real system, with nothing else (no framework, no auth, no ORM):
 * DescribeThing on the registry emulator over HTTP (plain fetch, SigV4-shaped header), the hub row
 * and its version-1 event inserted in one transaction, the same 201 response body.
 *
 * BASELINE_MODE=tx (default): BEGIN, INSERT event, INSERT hub, COMMIT (four round trips).
 * BASELINE_MODE=cte: one data-modifying CTE statement inserting both rows (one round trip).
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import pg from "pg";

const port = Number(process.env.BASELINE_PORT ?? 4100);
const databaseUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const iotEndpoint = process.env.AWS_ENDPOINT_URL_IOT ?? "http://127.0.0.1:4566";
const mode = process.env.BASELINE_MODE === "cte" ? "cte" : "tx";
const pool = new pg.Pool({
  connectionString: databaseUrl,
  max: Number(process.env.BASELINE_POOL_SIZE ?? 16),
});

// Shaped like the SDK's header; the emulator checks the shape only.
const SIGV4 =
  "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20250101/us-east-1/iot/aws4_request, " +
  `SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`;
const ROUTE = /^\/hubs\/([^/]+)\/ProvisionHub$/;

const INSERT_EVENT =
  "INSERT INTO hub_events (stream_id, version, type, data, metadata) VALUES ($1, 1, 'HubProvisioned', $2, $3)";
const INSERT_HUB =
  "INSERT INTO hubs (id, serial, model, thing_name, vendor_name, status, version, provisioned_at, updated_at) " +
  "VALUES ($1, $2, $3, $4, $5, 'Provisioned', 1, $6, $6)";
const INSERT_BOTH = `WITH ev AS (
    INSERT INTO hub_events (stream_id, version, type, data, metadata)
    VALUES ($1, 1, 'HubProvisioned', $7, $8) RETURNING stream_id)
  INSERT INTO hubs (id, serial, model, thing_name, vendor_name, status, version, provisioned_at, updated_at)
  SELECT ev.stream_id, $2, $3, $4, $5, 'Provisioned', 1, $6, $6 FROM ev`;

type Body = { hubId: string; serial: string; model: string; thingName?: string; vendorName?: string };

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function isBody(value: unknown): value is Body {
  const body = value as Partial<Body> | null;
  return (
    typeof body === "object" &&
    body !== null &&
    typeof body.hubId === "string" &&
    typeof body.serial === "string" &&
    typeof body.model === "string"
  );
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function insert(params: unknown[], data: string, metadata: string): Promise<void> {
  if (mode === "cte") {
    await pool.query(INSERT_BOTH, [...params, data, metadata]);
    return;
  }
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query(INSERT_EVENT, [params[0], data, metadata]);
    await client.query(INSERT_HUB, params);
    await client.query("COMMIT");
    client.release();
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    client.release();
    throw error;
  }
}

async function provision(req: http.IncomingMessage, res: http.ServerResponse, pathId: string): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return send(res, 400, { success: false, error: "Bad Request", message: "malformed JSON", code: 400 });
  }
  if (!isBody(body) || body.hubId !== pathId) {
    return send(res, 400, { success: false, error: "Bad Request", message: "invalid body", code: 400 });
  }
  const thingName = body.thingName ?? body.hubId;
  const lookup = await fetch(`${iotEndpoint}/things/${encodeURIComponent(thingName)}`, {
    headers: { authorization: SIGV4, "x-amz-date": "20250101T000000Z" },
  });
  await lookup.arrayBuffer();
  if (lookup.status === 404) {
    return send(res, 422, {
      success: false,
      error: "Unprocessable Entity",
      message: "no such Thing",
      code: 422,
    });
  }
  if (!lookup.ok) {
    return send(res, 503, { success: false, error: "Service Unavailable", message: "registry", code: 503 });
  }
  const provisionedAt = Date.now();
  const data = {
    hubId: body.hubId,
    serial: body.serial,
    model: body.model,
    thingName,
    ...(body.vendorName !== undefined ? { vendorName: body.vendorName } : {}),
    provisionedAt,
  };
  const requestId = randomUUID();
  const metadata = {
    actor: { kind: "service", id: "bench" },
    requestId,
    correlationId: requestId,
    source: "rest",
  };
  try {
    await insert(
      [body.hubId, body.serial, body.model, thingName, body.vendorName ?? null, new Date(provisionedAt)],
      JSON.stringify(data),
      JSON.stringify(metadata),
    );
  } catch (error) {
    if ((error as { code?: string }).code === "23505") {
      return send(res, 409, { success: false, error: "Conflict", message: "already used", code: 409 });
    }
    throw error;
  }
  send(res, 201, {
    success: true,
    aggregateId: body.hubId,
    version: 1,
    event: { type: "HubProvisioned", data },
  });
}

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") return send(res, 200, { status: "ok" });
  const match = req.method === "POST" ? ROUTE.exec(req.url ?? "") : null;
  if (!match?.[1]) return send(res, 404, { error: "Not Found" });
  provision(req, res, match[1]).catch(() => {
    if (!res.headersSent)
      send(res, 500, { success: false, error: "Internal Server Error", message: "", code: 500 });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1");

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    pool.end().then(() => process.exit(0));
  });
}
