import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Logger } from "pino";

type Drain = { closing: boolean; readonly open: Set<ServerResponse> };
const drains = new WeakMap<Server, Drain>();

/**
 * Tracks the server's responses so a shutdown can reach the ones in flight. Node's `server.close()`
 * only closes idle keep-alive connections: one that is busy at that moment answers with
 * `connection: keep-alive`, stays open for `keepAliveTimeout`, keeps accepting requests, and the
 * close callback waits for it — a drain that never ends until the process is killed mid-request.
 */
function track(server: Server): Drain {
  let drain = drains.get(server);
  if (drain) return drain;
  const state: Drain = { closing: false, open: new Set() };
  server.prependListener("request", (_req: IncomingMessage, res: ServerResponse) => {
    // A request that arrives on a kept-alive connection during the drain is served, then closes it.
    if (state.closing) res.setHeader("connection", "close");
    state.open.add(res);
    res.once("close", () => state.open.delete(res));
  });
  drain = state;
  drains.set(server, drain);
  return drain;
}

/** Listens and resolves with the base URL (the real port when `port` is 0). */
export function listen(server: Server, port: number, host: string): Promise<string> {
  track(server);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(`http://${host}:${typeof address === "object" && address ? address.port : port}`);
    });
  });
}

/**
 * Stops accepting connections and resolves once in-flight requests have finished: each one is
 * answered with `connection: close`, so its connection ends with it. Past `drainTimeoutMs` the
 * remaining connections are cut (the orchestrator would kill the process anyway).
 */
export function closeServer(server: Server, options: { drainTimeoutMs?: number } = {}): Promise<void> {
  const drain = track(server);
  drain.closing = true;
  for (const res of drain.open) {
    if (!res.headersSent) res.setHeader("connection", "close");
  }
  return new Promise((resolve) => {
    // Connections that finished a response whose headers were already out become idle: close them too.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => server.closeAllConnections(), options.drainTimeoutMs ?? 15_000);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** On SIGINT/SIGTERM: log, run `close` once (draining in-flight work), then exit. */
export function exitOnSignals(name: string, logger: Logger, close: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, `${name} shutting down`);
      close().then(
        () => {
          logger.info(`${name} stopped`);
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, `${name} shutdown failed`);
          process.exit(1);
        },
      );
    });
  }
}
