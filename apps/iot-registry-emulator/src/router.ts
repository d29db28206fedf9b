import type { IncomingMessage } from "node:http";
import FindMyWay, { type HTTPMethod } from "find-my-way";
import { invalid } from "./api-error.ts";

/** The `:name` parameters of a route path, and `*` for a trailing wildcard. */
type PathParams<Path extends string> = Path extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParams<Rest>
  : Path extends `${string}:${infer Name}`
    ? Name
    : Path extends `${string}*`
      ? "*"
      : never;

export interface Call<Param extends string = string> {
  readonly req: IncomingMessage;
  /** Percent-decoded. */
  readonly params: Readonly<Record<Param, string>>;
  readonly query: URLSearchParams;
}

/** Returns the body of the 200 answer; an ApiError thrown is the error answer. */
type Handle = (call: Call) => unknown;

/** What an AWS API route is: its operation name (faults can target it) and the SigV4 signing names it accepts. */
export interface Operation {
  readonly name: string;
  readonly signingNames: readonly string[];
}

export interface Route {
  readonly method: HTTPMethod;
  readonly path: string;
  readonly handle: Handle;
  /** Absent for the emulator's control routes. */
  readonly operation?: Operation;
}

/** One route: a method, a find-my-way path, and a handler that sees the path's parameters by name. */
export function route<Path extends string>(
  method: HTTPMethod,
  path: Path,
  handle: (call: Call<PathParams<Path>>) => unknown,
  operation?: Operation,
): Route {
  return { method, path, handle, ...(operation === undefined ? {} : { operation }) };
}

/**
 * A find-my-way router over `routes`: the handler and decoded parameters for a method and a request path
 * (without its query), or undefined when no route matches.
 *
 * The path is matched as sent. find-my-way would decode escapes before matching (`/thing%73` would be
 * ListThings), cut the path at `#` and accept an absolute URL; escaping `%` and `#` hands it the path as
 * sent, so it also returns each parameter as sent, and decodePathSegment decodes it (a malformed escape is
 * InvalidRequestException, not an unknown route). An empty parameter (`/things/`) matches no route.
 */
export function createRouter(routes: readonly Route[]) {
  // A parameter's length is for its handler to judge (a thing name over 128 characters is
  // InvalidRequestException), not a reason for no route.
  const router = FindMyWay({ maxParamLength: Number.POSITIVE_INFINITY });
  for (const entry of routes) router.on(entry.method, entry.path, () => undefined, entry);
  return (method: string, path: string): { route: Route; params: Record<string, string> } | undefined => {
    if (!path.startsWith("/")) return undefined;
    const found = router.find(method as HTTPMethod, path.replaceAll("%", "%25").replaceAll("#", "%23"));
    if (found === null) return undefined;
    const params = Object.entries(found.params).map(([name, value]) => [name, value ?? ""] as const);
    if (params.some(([, value]) => value === "")) return undefined;
    return {
      route: found.store as Route,
      params: Object.fromEntries(params.map(([name, value]) => [name, decodePathSegment(value)])),
    };
  };
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalid("The request path is not validly percent-encoded.");
  }
}
