import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { flushLogs } from "./logger.ts";

type Drain = {
  closing: boolean;
  readonly open: Set<ServerResponse>;
  /** Requests in progress per connection. */
  readonly sockets: Map<Socket, number>;
};
const drains = new WeakMap<Server, Drain>();

/**
 * Tracks the server's connections and responses so a shutdown can reach the ones in flight.
 * Node's `server.close()` closes idle keep-alive connections only: one that is busy at that
 * moment answers with `connection: keep-alive`, stays open for `keepAliveTimeout`, keeps accepting
 * requests, and the close callback waits for it. Nor does Node count a connection that has not
 * sent a request yet as idle (a client pool opens those ahead of use): it would hold the drain
 * until the client drops it. Either way the drain never ends until the process is killed.
 */
function track(server: Server): Drain {
  let drain = drains.get(server);
  if (drain) return drain;
  const state: Drain = { closing: false, open: new Set(), sockets: new Map() };
  server.on("connection", (socket: Socket) => {
    state.sockets.set(socket, 0);
    socket.once("close", () => state.sockets.delete(socket));
  });
  server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
    // A request that arrives on a kept-alive connection during the drain is served, then closes it.
    if (state.closing) res.setHeader("connection", "close");
    state.open.add(res);
    const socket = req.socket;
    state.sockets.set(socket, (state.sockets.get(socket) ?? 0) + 1);
    res.once("close", () => {
      state.open.delete(res);
      if (state.sockets.has(socket))
        state.sockets.set(socket, Math.max(0, (state.sockets.get(socket) ?? 1) - 1));
    });
  });
  drain = state;
  drains.set(server, drain);
  return drain;
}

/** Closes every connection with no request in progress (idle keep-alive, or never used). */
function closeUnusedConnections(server: Server, drain: Drain): void {
  server.closeIdleConnections();
  for (const [socket, inProgress] of drain.sockets) if (inProgress === 0) socket.destroy();
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
 *
 * Hand-written on purpose. Node's `closeIdleConnections()` and `closeAllConnections()` (used
 * here) alone, on Node 20, answer a request in flight with `connection: keep-alive` and leave a
 * connection that never sent a request open, so the drain runs to its deadline. http-terminator
 * 3.2.0 closes both, but calls `server.close()` only once the drain is over: a new connection
 * meanwhile is accepted, then reset, where the crash-and-shutdown e2e test requires it refused.
 * It also reads Node's private `socket._httpMessage` and brings four dependencies (roarr's global
 * logger among them). @godaddy/terminus (last release 4.12.1, June 2023) drains with stoppable,
 * which ends a kept-alive connection after its response without `connection: close` and stops
 * listening a tick after the signal; and it wants one server, its own health routes and its own
 * exit, where each app closes its server, then its metrics endpoint and stores, and exits once
 * the logs are written.
 */
export function closeServer(server: Server, options: { drainTimeoutMs?: number } = {}): Promise<void> {
  const drain = track(server);
  drain.closing = true;
  for (const res of drain.open) {
    if (!res.headersSent) res.setHeader("connection", "close");
  }
  return new Promise((resolve) => {
    // Connections whose response has finished since become idle: close them too.
    const sweep = setInterval(() => closeUnusedConnections(server, drain), 100);
    const deadline = setTimeout(() => server.closeAllConnections(), options.drainTimeoutMs ?? 15_000);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve();
    });
    closeUnusedConnections(server, drain);
  });
}

/** Writes out what was logged (see flushLogs), then exits with `code`. */
export function exitAfterLogs(logger: Logger, code: number): Promise<never> {
  return flushLogs(logger).then(() => process.exit(code));
}

/** On SIGINT/SIGTERM: log, run `close` once (draining in-flight work), write the logs out, then exit. */
export function exitOnSignals(name: string, logger: Logger, close: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      // close() stops listening before its first await, so once this line is logged a new
      // connection is refused (tests and operators may rely on that order).
      const closing = close();
      logger.info({ signal }, `${name} shutting down`);
      closing.then(
        () => {
          logger.info(`${name} stopped`);
          return exitAfterLogs(logger, 0);
        },
        (error: unknown) => {
          logger.error({ err: error }, `${name} shutdown failed`);
          return exitAfterLogs(logger, 1);
        },
      );
    });
  }
}
