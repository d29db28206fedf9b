import type { Server } from "node:http";
import type { Logger } from "pino";

/** Listens and resolves with the base URL (the real port when `port` is 0). */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(`http://${host}:${typeof address === "object" && address ? address.port : port}`);
    });
  });
}

/** Stops accepting connections and resolves once in-flight requests have finished. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
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
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, `${name} shutdown failed`);
          process.exit(1);
        },
      );
    });
  }
}
