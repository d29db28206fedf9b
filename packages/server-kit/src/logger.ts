import pino, { type Logger } from "pino";

/** Credentials never reach a log line, whatever object they are nested in. */
export const redactPaths = [
  "req.headers.authorization",
  "req.headers['x-api-key']",
  "headers.authorization",
  "headers['x-api-key']",
  "*.authorization",
  "*.token",
  "*.apiKey",
  "*.secret",
];

/**
 * JSON lines on stdout through pino's asynchronous destination (pino's default is the same
 * asynchronous sonic-boom), with one change: `minLength: 1` makes `logger.flush(cb)` wait until
 * the lines already logged are written (with the default 0 it calls back at once). A line is
 * still written as soon as no write is in flight.
 */
export function createLogger(name: string, level: string): Logger {
  return pino(
    { name, level, redact: { paths: redactPaths, censor: "[redacted]" } },
    pino.destination({ dest: 1, minLength: 1 }),
  );
}

/**
 * Resolves once the lines logged so far are written, or failed to be (a closed pipe), or after
 * `timeoutMs` (a reader that stopped reading must not hold the exit forever).
 *
 * Exiting with a write in flight is not only a lost line: pino then writes the rest synchronously
 * on exit, and sonic-boom 4's flushSync retries every failed write, so a process whose stdout
 * reader is gone (EPIPE) never exits. Flushed first, the EPIPE arrives as an error event, pino
 * stops writing to that stream, and the exit goes through.
 */
export function flushLogs(logger: Logger, timeoutMs = 2_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    logger.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
