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

export function createLogger(name: string, level: string): Logger {
  return pino({ name, level, redact: { paths: redactPaths, censor: "[redacted]" } });
}
