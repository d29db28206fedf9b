import type { AppRouter } from "@hub/hub-service";
import { type AppError, type AppErrorData, fromAppErrorData } from "@hub/shared";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { Agent, request } from "undici";

export type { AppRouter };

export type HubServiceClientOptions = {
  /** Base URL of hub-service, e.g. http://127.0.0.1:4001 */
  readonly url: string;
  /** The calling service's credential; a function so a rotating token is read per request. */
  readonly serviceToken: string | (() => string);
  /** Request id (and other headers) for the HTTP request that carries a batch. */
  readonly headers?: () => Record<string, string>;
  /** Upper bound per HTTP request, so a stuck hub-service cannot hang callers. */
  readonly timeoutMs?: number;
  readonly maxBatchSize?: number;
};

/**
 * Typed tRPC client for hub-service. Calls made in the same tick travel in one HTTP request
 * (httpBatchLink) over kept-alive connections.
 *
 * The link's transport is undici's `request` rather than `fetch`: tRPC only needs `ok` and
 * `json()` from a response, and fetch's WHATWG machinery (Request/Response objects, web streams,
 * an AbortSignal pair per call) was a fifth of the gateway's CPU per provisioning. The time bound
 * is the dispatcher's: no response headers, or a body that stalls, within `timeoutMs` fails the
 * call (tRPC's own abort signal is still honoured).
 */
export function createHubServiceClient(options: HubServiceClientOptions) {
  const token =
    typeof options.serviceToken === "function" ? options.serviceToken : () => options.serviceToken as string;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const dispatcher = new Agent({
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connectTimeout: timeoutMs,
  });
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${options.url.replace(/\/$/, "")}/trpc`,
        maxItems: options.maxBatchSize ?? 50,
        // The deadline of this HTTP request (epoch ms): hub-service refuses, unexecuted, the calls
        // of one that reaches it after that (held in a partition while this client gave up).
        headers: () => ({
          authorization: `Bearer ${token()}`,
          "x-request-deadline": String(Date.now() + timeoutMs),
          ...options.headers?.(),
        }),
        fetch: async (url, init) => {
          const response = await request(String(url), {
            dispatcher,
            method: (init?.method ?? "GET") as "GET" | "POST",
            headers: (init?.headers ?? {}) as Record<string, string>,
            body: (init?.body as string | null | undefined) ?? null,
            ...(init?.signal ? { signal: init.signal } : {}),
          });
          const ok = response.statusCode >= 200 && response.statusCode < 300;
          return { ok, status: response.statusCode, json: () => response.body.json() };
        },
      }),
    ],
  });
}

export type HubServiceClient = ReturnType<typeof createHubServiceClient>;

/** The application error hub-service sent, rebuilt as the shared error class; undefined if none. */
export function appErrorFrom(error: unknown): AppError | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const data = (error.data ?? {}) as { appError?: AppErrorData };
  return data.appError ? fromAppErrorData(data.appError) : undefined;
}

export { TRPCClientError };
