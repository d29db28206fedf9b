import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/** One request as a partner's endpoint received it. */
export type Received = {
  readonly id: string;
  readonly body: string;
  readonly payload: {
    type: string;
    timestamp: string;
    data: { hubId: string; version: number; position: string };
  };
  readonly headers: Record<string, string>;
  readonly receivedAt: number;
};

/** What the endpoint does with a request: answer a status, or hang (never answer). */
export type Behaviour = (request: {
  id: string;
  attempt: number;
}) => number | "hang" | { delayMs: number; status: number };

/**
 * A partner's webhook endpoint on loopback: records every request, verifies each one with the
 * `standardwebhooks` package as a partner would (with any of the secrets it knows), and answers
 * as told. `down()` closes the port (connection refused) and `up()` opens the same port again.
 */
export async function startReceiver(secrets: string[] = []) {
  const received: Received[] = [];
  const unverified: Received[] = [];
  const attempts = new Map<string, number>();
  let behaviour: Behaviour = () => 204;
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([key, value]) => [
          key,
          Array.isArray(value) ? value.join(",") : (value ?? ""),
        ]),
      );
      const id = headers["webhook-id"] ?? "";
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const entry: Received = {
        id,
        body,
        payload: JSON.parse(body) as Received["payload"],
        headers,
        receivedAt: Date.now(),
      };
      const verified = secrets.some((secret) => {
        try {
          new Webhook(secret).verify(body, headers);
          return true;
        } catch {
          return false;
        }
      });
      const answer = behaviour({ id, attempt });
      if (answer === "hang") {
        hanging.add(res);
        return;
      }
      const respond = (status: number) => {
        // Only a 2xx counts as received: what the partner acknowledged.
        if (status >= 200 && status < 300) (verified ? received : unverified).push(entry);
        res.writeHead(status, { "content-type": "text/plain" }).end(`status ${status}`);
      };
      if (typeof answer === "number") respond(answer);
      else setTimeout(() => respond(answer.status), answer.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    unverified,
    /** Requests per webhook-id, acknowledged or not. */
    attempts,
    secrets,
    behave(next: Behaviour) {
      behaviour = next;
    },
    async down() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async up() {
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    },
    /** Distinct webhook-ids acknowledged. */
    ids(): Set<string> {
      return new Set(received.map((entry) => entry.id));
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Waits until `done()` holds, polling; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Each hub's versions in the order the endpoint first acknowledged them. */
export function versionsByHub(received: readonly Received[]): Map<string, number[]> {
  const seen = new Set<string>();
  const byHub = new Map<string, number[]>();
  for (const entry of received) {
    if (seen.has(entry.id)) continue;
    seen.add(entry.id);
    const list = byHub.get(entry.payload.data.hubId) ?? [];
    list.push(entry.payload.data.version);
    byHub.set(entry.payload.data.hubId, list);
  }
  return byHub;
}
