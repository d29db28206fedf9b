import type { AppRouter } from "@hub/hub-service";
import {
  type AppError,
  type AppErrorData,
  fromAppErrorData,
  type LifecycleCommandBody,
  type LifecycleCommandName,
  type LifecycleCommandResult,
  type LifecycleProcedureName,
  lifecycleCommands,
  type RequestContext,
  UnavailableError,
} from "@hub/shared";
import {
  createTRPCClient,
  createTRPCClientProxy,
  httpBatchLink,
  TRPCClientError,
  type TRPCLink,
  type TRPCRequestOptions,
  TRPCUntypedClient,
} from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
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
  return createTRPCClient<AppRouter>({ links: [transportLink(options)] });
}

/** The batching HTTP link every client of hub-service sends its calls through. */
function transportLink(options: HubServiceClientOptions): TRPCLink<AppRouter> {
  const token =
    typeof options.serviceToken === "function" ? options.serviceToken : () => options.serviceToken as string;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const dispatcher = new Agent({
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connectTimeout: timeoutMs,
  });
  return httpBatchLink({
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
  });
}

export type HubServiceCallerOptions = HubServiceClientOptions & {
  /**
   * What the end caller's context adds when a call is made (its remaining time budget, its trace):
   * merged into the `caller` input of every call that has one.
   */
  readonly callerExtras?: () => Partial<RequestContext>;
};

/**
 * The typed client as a service calling for end callers uses it (the gateway): the same procedures
 * and types, but every call throws the shared error family (`AppError`: what hub-service decided,
 * or `UnavailableError` when no answer came), and each call's `caller` carries `callerExtras()`
 * as of the moment it is made.
 */
export function createHubServiceCaller(options: HubServiceCallerOptions): HubServiceClient {
  const links = [transportLink(options)];
  const extras = options.callerExtras;
  if (extras) links.unshift(callerExtrasLink(extras));
  return createTRPCClientProxy<AppRouter>(new AppErrorClient({ links }));
}

function callerExtrasLink(extras: () => Partial<RequestContext>): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) => {
      const input = op.input as { caller?: RequestContext } | undefined;
      if (!input?.caller) return next(op);
      return next({ ...op, input: { ...input, caller: { ...input.caller, ...extras() } } });
    };
}

/** tRPC's untyped client with its calls' errors rebuilt as the shared error classes. */
class AppErrorClient extends TRPCUntypedClient<AppRouter> {
  override query(path: string, input?: unknown, opts?: TRPCRequestOptions): Promise<unknown> {
    return super.query(path, input, opts).catch(rethrowMapped);
  }
  override mutation(path: string, input?: unknown, opts?: TRPCRequestOptions): Promise<unknown> {
    return super.mutation(path, input, opts).catch(rethrowMapped);
  }
}

function rethrowMapped(error: unknown): never {
  throw mapHubServiceError(error);
}

/** Maps what a hub-service call threw to the shared error classes; unknown errors pass through. */
export function mapHubServiceError(error: unknown): unknown {
  const appError = appErrorFrom(error);
  if (appError) return appError;
  // No answer at all (refused, reset, timed out, 502/503 from a proxy): a dependency outage.
  if (error instanceof TRPCClientError) {
    const status = (error.data as { httpStatus?: number } | undefined)?.httpStatus;
    if (status === undefined || status === 502 || status === 503 || status === 504) {
      return new UnavailableError("The hub service is temporarily unavailable. Please retry later", 2);
    }
  }
  return error;
}

export type HubServiceClient = ReturnType<typeof createHubServiceClient>;

/** The application error hub-service sent, rebuilt as the shared error class; undefined if none. */
export function appErrorFrom(error: unknown): AppError | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const data = (error.data ?? {}) as { appError?: AppErrorData };
  return data.appError ? fromAppErrorData(data.appError) : undefined;
}

export { TRPCClientError };

type HubInputs = inferRouterInputs<AppRouter>["hub"];
type HubOutputs = inferRouterOutputs<AppRouter>["hub"];

/** One lifecycle command's call: its body from the command list, its result the list's. */
export type LifecycleCall<N extends LifecycleCommandName> = (input: {
  readonly caller: RequestContext;
  readonly command: LifecycleCommandBody<N>;
}) => Promise<LifecycleCommandResult<N>>;

/**
 * The commands whose hub-service procedure does not take that input or answer that result. It
 * must stay `never`: a mismatch between the command list and the router, or an entry naming no
 * procedure, fails to compile here.
 */
type RouterMismatch = {
  [N in LifecycleCommandName]: Parameters<LifecycleCall<N>>[0] extends HubInputs[LifecycleProcedureName<N>]
    ? HubOutputs[LifecycleProcedureName<N>] extends LifecycleCommandResult<N>
      ? never
      : N
    : N;
}[LifecycleCommandName];
const routerMatchesCommandList: [RouterMismatch] extends [never] ? true : RouterMismatch = true;
void routerMatchesCommandList;

/** The call of lifecycle command `name` (`hub.<procedure>`), typed by the router. */
export function lifecycleCall<N extends LifecycleCommandName>(
  client: HubServiceClient,
  name: N,
): LifecycleCall<N> {
  const procedure = client.hub[lifecycleCommands[name].procedure];
  // `procedure` is the hub router's mutation the list names for N (RouterMismatch proves its input
  // and output are N's); indexing by a generic key widens it to the union of all of them, so the
  // call is narrowed back to N's.
  return async (input) => {
    const result: HubOutputs[LifecycleProcedureName] = await procedure.mutate(input as never);
    return result as LifecycleCommandResult<N>;
  };
}
