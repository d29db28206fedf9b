import { Agent, type Dispatcher, request } from "undici";
import { checkWebhookUrl, guardedLookup } from "./address-guard.ts";

export type SendRequest = { url: string; headers: Record<string, string>; body: string };

export type SendResult = {
  kind: "delivered" | "retryable" | "permanent";
  status?: number;
  /** A short sentence for people (no stack trace). */
  error?: string;
  /** From Retry-After on 429 and 503. */
  retryAfterMs?: number;
  /** The start of the response body, UTF-8, without control characters. */
  responsePrefix?: string;
  durationMs: number;
};

export type WebhookSender = {
  /** Never throws: every failure is a result. */
  send(request: SendRequest): Promise<SendResult>;
  close(): Promise<void>;
};

export type WebhookSenderOptions = {
  /** Bounds the whole attempt: DNS, connect, TLS, headers and body. */
  timeoutMs?: number;
  /** Allows loopback/private targets and plain http (local development and tests only). */
  allowPrivate: boolean;
  maxResponseBytes?: number;
  userAgent?: string;
};

export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;
const MAX_LOCATION_CHARS = 200;
const MAX_ERROR_CHARS = 200;

// Tab, newline and carriage return stay: they keep a pretty-printed error body readable.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

function stripControl(text: string): string {
  return text.replace(CONTROL_CHARACTERS, "");
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Retry-After as delta seconds or an HTTP-date, in ms from `now`; undefined for anything else and
 * for a date already past. Capped so that a hostile or broken server cannot park a delivery forever.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else if (/^(mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s/i.test(text)) {
    // Date.parse alone would also take "1.5" or "2024" as dates; every HTTP-date starts with a day name.
    // asctime dates carry no zone, and HTTP dates are always GMT, never the server's local time.
    const at = Date.parse(/GMT|UTC/i.test(text) ? text : `${text} GMT`);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  } else {
    return undefined;
  }
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function readPrefix(body: Dispatcher.ResponseData["body"], limit: number): Promise<string> {
  if (limit <= 0) {
    body.destroy();
    return "";
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early destroys the stream: the rest of a large body is never read.
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = limit - size;
    if (chunk.length >= room) {
      chunks.push(chunk.subarray(0, room));
      size = limit;
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  // stream: true holds back a multi-byte character cut at the limit instead of emitting U+FFFD.
  return stripControl(new TextDecoder("utf-8").decode(Buffer.concat(chunks), { stream: true }));
}

function classifyStatus(
  status: number,
  headers: Dispatcher.ResponseData["headers"],
  responsePrefix: string,
  durationMs: number,
): SendResult {
  const base = { status, responsePrefix, durationMs };
  if (status >= 200 && status < 300) return { kind: "delivered", ...base };
  if (status >= 300 && status < 400) {
    const location = firstHeader(headers.location);
    const target = location
      ? `to ${shorten(stripControl(location), MAX_LOCATION_CHARS)}`
      : "without a Location";
    return { kind: "permanent", ...base, error: `redirect not followed (${status} ${target})` };
  }
  if (status === 408 || status === 429 || (status >= 500 && status < 600)) {
    const result: SendResult = { kind: "retryable", ...base, error: `HTTP ${status}` };
    if (status === 429 || status === 503) {
      const retryAfterMs = parseRetryAfter(firstHeader(headers["retry-after"]), Date.now());
      if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
    }
    return result;
  }
  return { kind: "permanent", ...base, error: `HTTP ${status}` };
}

const NETWORK_MESSAGES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by the server",
  EPIPE: "connection closed by the server",
  UND_ERR_SOCKET: "connection closed by the server",
  ENOTFOUND: "host not found (DNS)",
  EAI_AGAIN: "DNS lookup failed temporarily",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

const TIMEOUT_CODES = new Set([
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  // Happy eyeballs reports one AggregateError for all addresses tried.
  if (error instanceof AggregateError) return errorCode(error.errors[0]);
  return undefined;
}

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return shorten(stripControl(message.split("\n", 1)[0] ?? ""), MAX_ERROR_CHARS);
}

type Failure = { kind: "retryable" | "permanent"; error: string };

function timeoutFailure(timeoutMs: number): Failure {
  return { kind: "retryable", error: `timed out after ${timeoutMs} ms` };
}

function classifyError(error: unknown, timeoutMs: number): Failure {
  const code = errorCode(error);
  if (code === "EADDRFORBIDDEN") return { kind: "permanent", error: errorText(error) };
  if (code === "UND_ERR_INVALID_ARG") {
    return { kind: "permanent", error: `invalid request: ${errorText(error)}` };
  }
  if (code && TIMEOUT_CODES.has(code)) return timeoutFailure(timeoutMs);
  const known = code ? NETWORK_MESSAGES[code] : undefined;
  if (known) return { kind: "retryable", error: known };
  if (code?.startsWith("EAI_")) return { kind: "retryable", error: "DNS lookup failed" };
  if (code && /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/.test(code)) {
    return { kind: "retryable", error: `TLS error: ${errorText(error)}` };
  }
  return { kind: "retryable", error: `request failed: ${errorText(error)}` };
}

export function createWebhookSender({
  timeoutMs = 10_000,
  allowPrivate,
  maxResponseBytes = 1024,
  userAgent = "hub-event-relay",
}: WebhookSenderOptions): WebhookSender {
  // No redirect interceptor is composed in: undici's request then hands 3xx back as they are.
  const agent = new Agent({
    connect: { lookup: guardedLookup(allowPrivate), timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  async function send({ url, headers, body }: SendRequest): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const check = checkWebhookUrl(url, { allowPrivate });
    if (!check.ok) return { kind: "permanent", error: check.reason, durationMs: elapsed() };

    const outgoing: Record<string, string> = { "content-type": "application/json", "user-agent": userAgent };
    for (const [name, value] of Object.entries(headers)) outgoing[name.toLowerCase()] = value;

    // headersTimeout/bodyTimeout only bound the gaps between bytes; this one bounds the total, so a
    // server trickling one byte at a time is cut too.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    let status: number | undefined;
    try {
      const response = await request(url, {
        dispatcher: agent,
        method: "POST",
        headers: outgoing,
        body,
        signal: controller.signal,
      });
      status = response.statusCode;
      const prefix = await readPrefix(response.body, maxResponseBytes);
      return classifyStatus(response.statusCode, response.headers, prefix, elapsed());
    } catch (error) {
      // A response whose body did not arrive in time is an unfinished attempt, whatever its status.
      const failure = timedOut ? timeoutFailure(timeoutMs) : classifyError(error, timeoutMs);
      if (status === undefined) return { ...failure, durationMs: elapsed() };
      return {
        ...failure,
        status,
        error: `${failure.error} (after HTTP ${status} headers)`,
        durationMs: elapsed(),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    send,
    close: () => agent.close(),
  };
}
