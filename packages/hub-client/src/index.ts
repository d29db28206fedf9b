import type { AppRouter } from "@hub/hub-service";
import { type AppError, type AppErrorData, fromAppErrorData } from "@hub/shared";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";

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
 * (httpBatchLink); Node's fetch keeps connections alive between requests.
 */
export function createHubServiceClient(options: HubServiceClientOptions) {
  const token =
    typeof options.serviceToken === "function" ? options.serviceToken : () => options.serviceToken as string;
  const timeoutMs = options.timeoutMs ?? 15_000;
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${options.url.replace(/\/$/, "")}/trpc`,
        maxItems: options.maxBatchSize ?? 50,
        headers: () => ({ authorization: `Bearer ${token()}`, ...options.headers?.() }),
        fetch: (input, init) =>
          fetch(input, {
            ...(init as RequestInit),
            signal: init?.signal
              ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)])
              : AbortSignal.timeout(timeoutMs),
          }),
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
