import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { UsageError } from "./command.ts";

/**
 * Where and how the bulk route is called. The credential lives only in `headers`; `redact`
 * removes it from any text the gateway sends back before that text reaches a terminal or a file.
 */
export type GatewayTarget = {
  readonly endpoint: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly redact: (text: string) => string;
};

export type Credential = { readonly apiKey: string } | { readonly bearer: string };

// Visible ASCII only: anything else fails inside fetch with an error that quotes the value.
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/**
 * The gateway's `POST /hubs/ProvisionHubs` under `--url` (which may carry a path prefix), with the
 * partner's credential as the gateway takes it: `x-api-key`, or `authorization: Bearer`.
 */
export function gatewayTarget(url: string, credential: Credential): GatewayTarget {
  let base: URL;
  try {
    base = new URL(url.endsWith("/") ? url : `${url}/`);
  } catch {
    throw new UsageError("--url must be the gateway's base URL, e.g. http://127.0.0.1:4000");
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new UsageError("--url must be an http:// or https:// URL");
  }
  const [flag, secret] =
    "apiKey" in credential ? ["--api-key", credential.apiKey] : ["--bearer", credential.bearer];
  if (!HEADER_SAFE.test(secret)) throw new UsageError(`${flag} must be printable ASCII without spaces`);
  const headers = "apiKey" in credential ? { "x-api-key": secret } : { authorization: `Bearer ${secret}` };
  return {
    endpoint: new URL("hubs/ProvisionHubs", base),
    headers,
    redact: (text) => text.replaceAll(secret, "[redacted]"),
  };
}

/** What became of one row; `status` is the item's HTTP status as text (or `local`, see the command). */
export type RowOutcome =
  | { readonly kind: "created" }
  | { readonly kind: "unchanged" }
  | { readonly kind: "rejected"; readonly status: string; readonly reason: string };

/**
 * Back-off between attempts of one chunk: `delaysMs[n]` before retry n+1, so its length is the
 * number of retries. A Retry-After from the gateway lengthens a wait, up to `maxDelayMs`.
 */
export type RetryPolicy = { readonly delaysMs: readonly number[]; readonly maxDelayMs: number };
export const defaultRetryPolicy: RetryPolicy = { delaysMs: [1_000, 2_000, 4_000], maxDelayMs: 30_000 };

/** The run cannot go on (credentials refused, no such route, gateway unreachable or off-contract). */
export class ImportStoppedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportStoppedError";
  }
}

export type SendOptions = {
  readonly target: GatewayTarget;
  readonly retry: RetryPolicy;
  readonly fetch: typeof fetch;
  /** Aborts every request and back-off of the run (one chunk stopped the run). */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
};

type ItemAnswer = { readonly outcome: RowOutcome; readonly retry: boolean; readonly retryAfterMs: number };

type Attempt =
  | { readonly kind: "answered"; readonly items: readonly ItemAnswer[] }
  | {
      readonly kind: "retryable";
      readonly status: string;
      readonly reason: string;
      readonly retryAfterMs: number;
    }
  | { readonly kind: "unreachable"; readonly reason: string }
  | { readonly kind: "too-large"; readonly reason: string };

/**
 * Sends one chunk and returns an outcome per body, in order. The whole request is retried on 429,
 * 5xx and network failures; items answered 503 (or 429) are sent again on their own; both within
 * the policy's retries. A 413 splits the chunk in halves. Rows still failing are rejected with
 * the last answer; only failures no retry can cure stop the run (ImportStoppedError).
 */
export async function sendChunk(bodies: readonly unknown[], options: SendOptions): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  let pending = bodies.map((_, index) => index);
  for (let retry = 0; pending.length > 0; retry++) {
    const canRetry = retry < options.retry.delaysMs.length;
    const result = await attempt(
      pending.map((index) => bodies[index]),
      options,
    );
    if (result.kind === "too-large") {
      await sendHalves(bodies, pending, outcomes, result.reason, options);
      break;
    }
    if (result.kind === "unreachable" && !canRetry) {
      throw new ImportStoppedError(
        `cannot reach the gateway at ${options.target.endpoint.origin}: ${result.reason}`,
      );
    }
    if (result.kind === "retryable" && !canRetry) {
      for (const index of pending) outcomes[index] = rejected(result.status, result.reason);
      break;
    }
    let hintMs = result.kind === "retryable" ? result.retryAfterMs : 0;
    if (result.kind === "answered") {
      const again: number[] = [];
      result.items.forEach((item, position) => {
        const index = pending[position] as number;
        if (item.retry && canRetry) {
          again.push(index);
          hintMs = Math.max(hintMs, item.retryAfterMs);
        } else {
          outcomes[index] = item.outcome;
        }
      });
      pending = again;
      if (pending.length === 0) break;
    }
    await backOff(retry, hintMs, options);
  }
  return outcomes;
}

async function sendHalves(
  bodies: readonly unknown[],
  pending: readonly number[],
  outcomes: RowOutcome[],
  reason: string,
  options: SendOptions,
): Promise<void> {
  const [only] = pending;
  if (pending.length === 1 && only !== undefined) {
    outcomes[only] = rejected("413", reason);
    return;
  }
  const middle = Math.ceil(pending.length / 2);
  for (const half of [pending.slice(0, middle), pending.slice(middle)]) {
    const answered = await sendChunk(
      half.map((index) => bodies[index]),
      options,
    );
    half.forEach((index, position) => {
      outcomes[index] = answered[position] as RowOutcome;
    });
  }
}

function backOff(retry: number, hintMs: number, options: SendOptions): Promise<void> {
  const { delaysMs, maxDelayMs } = options.retry;
  const ms = Math.min(Math.max(delaysMs[retry] ?? 0, hintMs), maxDelayMs);
  return sleep(ms, undefined, { signal: options.signal });
}

async function attempt(bodies: readonly unknown[], options: SendOptions): Promise<Attempt> {
  const { target } = options;
  let status: number;
  let text: string;
  let retryAfter: string | null;
  try {
    const response = await options.fetch(target.endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", ...target.headers },
      body: JSON.stringify({ hubs: bodies }),
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
    });
    status = response.status;
    retryAfter = response.headers.get("retry-after");
    text = await response.text();
  } catch (error) {
    if (options.signal.aborted) throw error;
    return { kind: "unreachable", reason: target.redact(networkReason(error)) };
  }
  const body = parseJson(text);
  if (status === 200) return { kind: "answered", items: itemAnswers(body, bodies.length, target) };
  const reason = target.redact(describeRejection(body, status));
  if (status === 401 || status === 403) {
    throw new ImportStoppedError(`the gateway refused the credentials (${status}): ${reason}`);
  }
  if (status === 413) return { kind: "too-large", reason };
  if (status === 429 || status >= 500) {
    return { kind: "retryable", status: String(status), reason, retryAfterMs: retryAfterMs(retryAfter) };
  }
  if (status === 404) {
    throw new ImportStoppedError(
      `${target.endpoint.origin}${target.endpoint.pathname} answered 404: is --url the gateway's base URL?`,
    );
  }
  throw new ImportStoppedError(`the gateway refused the request (${status}): ${reason}`);
}

const answerSchema = z.object({
  results: z.array(
    z.object({
      index: z.number().int(),
      status: z.number().int(),
      body: z.unknown(),
      retryAfter: z.number().nonnegative().optional(),
    }),
  ),
});

/** One answer per item, in request order; an answer that does not cover the request stops the run. */
function itemAnswers(body: unknown, count: number, target: GatewayTarget): ItemAnswer[] {
  const parsed = answerSchema.safeParse(body);
  if (!parsed.success) throw new ImportStoppedError("the gateway's 200 answer is not a ProvisionHubs result");
  const answers: ItemAnswer[] = [];
  for (const item of parsed.data.results) {
    if (item.index < 0 || item.index >= count || answers[item.index]) {
      throw new ImportStoppedError(`the gateway's answer has a wrong or repeated index ${item.index}`);
    }
    answers[item.index] = {
      outcome: itemOutcome(item.status, item.body, target),
      retry: item.status === 503 || item.status === 429,
      retryAfterMs: (item.retryAfter ?? 0) * 1000,
    };
  }
  if (parsed.data.results.length !== count) {
    throw new ImportStoppedError(
      `the gateway answered ${parsed.data.results.length} items for ${count} sent`,
    );
  }
  return answers;
}

function itemOutcome(status: number, body: unknown, target: GatewayTarget): RowOutcome {
  if (status === 201) return { kind: "created" };
  if (status === 200) return { kind: "unchanged" };
  return rejected(String(status), target.redact(describeRejection(body, status)));
}

const rejected = (status: string, reason: string): RowOutcome => ({ kind: "rejected", status, reason });

const errorBodySchema = z.object({
  message: z.string().optional(),
  details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  reason: z.string().optional(),
});

/**
 * An error body as one line for the rejected file: the message, then the per-field details and
 * the machine-readable reason, e.g. `serial is already used by another hub (FIELD_TAKEN)`.
 */
export function describeRejection(body: unknown, status: number): string {
  const parsed = errorBodySchema.safeParse(body);
  const { message, details = [], reason } = parsed.success ? parsed.data : {};
  const fields = details.map((detail) =>
    detail.field ? `${detail.field}: ${detail.message}` : detail.message,
  );
  return [
    message || `HTTP ${status}`,
    fields.length > 0 ? `: ${fields.join("; ")}` : "",
    reason ? ` (${reason})` : "",
  ].join("");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Retry-After in seconds or as an HTTP date; 0 when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (header === null) return 0;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? 0 : Math.max(0, at - now);
}

/** fetch's "fetch failed" hides the cause (ECONNREFUSED, a timeout) one level down. */
function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return "network error";
  if (error.name === "TimeoutError") return "no answer in time";
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return error.message;
}
