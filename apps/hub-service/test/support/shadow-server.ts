import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small Device Shadow server speaking the REST API's wire format (GET/POST/DELETE
 * /things/{thing}/shadow[?name=], errors as {"code","message"} with x-amzn-ErrorType and the
 * status), keeping shadows in memory with versions (POST with a stale `version`: 409). A fault,
 * when set, answers every request instead (or leaves it hanging). The emulator's shadow API is
 * built elsewhere; this one lets the port be tested on its own.
 */
export type Fault =
  | { readonly status: number; readonly code: string; readonly message?: string }
  | { readonly hang: true };

export type Received = {
  readonly method: string;
  readonly thing: string;
  readonly name?: string;
  readonly body: string;
};

export function createShadowServer() {
  const shadows = new Map<string, { state: Record<string, unknown>; version: number }>();
  const received: Received[] = [];
  const receivedHeaders: IncomingHttpHeaders[] = [];
  const hanging = new Set<ServerResponse>();
  let fault: Fault | undefined;
  const error = (res: ServerResponse, status: number, code: string, message: string) => {
    res.writeHead(status, { "content-type": "application/json", "x-amzn-ErrorType": code });
    res.end(JSON.stringify({ code, message }));
  };
  const ok = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://shadow");
    const match = /^\/things\/([^/]+)\/shadow$/.exec(url.pathname);
    const name = url.searchParams.get("name") ?? undefined;
    if (!match?.[1]) return error(res, 405, "MethodNotAllowedException", "unsupported");
    const thing = decodeURIComponent(match[1]);
    received.push({ method: req.method ?? "", thing, ...(name ? { name } : {}), body });
    // Apart from `received`, which the tests compare whole: the headers differ on every request.
    receivedHeaders.push(req.headers);
    if (fault && "hang" in fault) {
      hanging.add(res);
      return;
    }
    if (fault) return error(res, fault.status, fault.code, fault.message ?? fault.code);
    const key = `${thing}|${name ?? ""}`;
    const now = Math.floor(Date.now() / 1000);
    const shadow = shadows.get(key);
    if (req.method === "GET") {
      if (!shadow)
        return error(res, 404, "ResourceNotFoundException", `No shadow exists with name: '${thing}'`);
      return ok(res, { state: shadow.state, metadata: {}, version: shadow.version, timestamp: now });
    }
    if (req.method === "DELETE") {
      if (!shadow)
        return error(res, 404, "ResourceNotFoundException", `No shadow exists with name: '${thing}'`);
      shadows.delete(key);
      return ok(res, { version: shadow.version, timestamp: now });
    }
    if (req.method === "POST") {
      const update = JSON.parse(body) as {
        state?: Record<string, unknown>;
        version?: number;
        clientToken?: string;
      };
      if (update.version !== undefined && update.version !== (shadow?.version ?? 0))
        return error(res, 409, "ConflictException", "Version conflict");
      const next = { state: { ...shadow?.state, ...update.state }, version: (shadow?.version ?? 0) + 1 };
      shadows.set(key, next);
      return ok(res, {
        state: update.state,
        metadata: {},
        version: next.version,
        timestamp: now,
        ...(update.clientToken ? { clientToken: update.clientToken } : {}),
      });
    }
    return error(res, 405, "MethodNotAllowedException", "unsupported");
  });
  return {
    received,
    /** The headers of each request in `received`, at the same index. */
    receivedHeaders,
    setFault(next: Fault | undefined) {
      fault = next;
    },
    releaseHanging() {
      for (const res of hanging) res.destroy();
      hanging.clear();
    },
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close() {
      this.releaseHanging();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
