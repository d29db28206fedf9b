import type { IncomingMessage, ServerResponse } from "node:http";
import { lifecycleCommandNames, type RequestContext } from "@hub/shared";
import FindMyWay from "find-my-way";
import type { HubService } from "../backend.ts";
import { deleteHubRoute } from "./delete-hub.ts";
import { hubCommandRoute } from "./hub-command.ts";
import { hubStatusRoute } from "./hub-status.ts";
import { iotRuleRoute } from "./iot-rule.ts";
import { lifecycleCommandRoute } from "./lifecycle-command.ts";
import { provisionHubRoute } from "./provision-hub.ts";
import { provisionHubsRoute } from "./provision-hubs.ts";

/** What a public route is handed: its request, not authenticated (it answers for itself). */
export type PublicRestCall = {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The route's `:id` ("" for a route without one). */
  readonly pathId: string;
  /** Every parameter of the route's path (`:id`, `:commandId`, …). */
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly hubService: HubService;
  readonly bodyLimitBytes: number;
  /** The header carrying the AWS IoT topic rule's secret (IOT_RULE_HEADER_NAME), lower-cased. */
  readonly iotRuleHeaderName: string;
  /**
   * Charges the request to its client IP's budget for unauthenticated requests (RATE_LIMIT_IP_POINTS;
   * RateLimitedError past it): what a public route does with a request it cannot authenticate.
   */
  readonly chargeClient: () => Promise<void>;
};
/** What a route is handed: its request, authenticated (the caller as hub-service receives it). */
export type RestCall = PublicRestCall & { readonly caller: RequestContext };
type Handle = (call: RestCall) => Promise<void>;
type PublicHandle = (call: PublicRestCall) => Promise<void>;
/**
 * One route. Every route authenticates its caller before its handler runs, except a `public` one,
 * which calls hub-service as the gateway itself and answers for its own authentication.
 */
export type RestRoute = {
  readonly method: "GET" | "POST" | "DELETE";
  readonly path: string;
  /** "both": the route needs a bearer token and an API key together (401 when either is missing). */
  readonly credentials?: "both";
} & (
  | { readonly public?: false; readonly handle: Handle }
  | { readonly public: true; readonly handle: PublicHandle }
);

/** The REST compatibility routes, one entry each; a lifecycle command's route comes with its entry in `lifecycleCommands`. */
export const restRoutes: readonly RestRoute[] = [
  { method: "POST", path: "/hubs/:id/ProvisionHub", handle: provisionHubRoute },
  { method: "POST", path: "/hubs/ProvisionHubs", handle: provisionHubsRoute },
  { method: "GET", path: "/hubs/:id/status", handle: hubStatusRoute },
  { method: "GET", path: "/hubs/:id/commands/:commandId", handle: hubCommandRoute },
  // An operator's: an admin token and a hubs:delete key; wins over the admin console's /admin/*.
  { method: "DELETE", path: "/admin/cleanup/hubs/:hubId", credentials: "both", handle: deleteHubRoute },
  // The AWS IoT topic rule's HTTP action: authenticated by its secret header, in hub-service.
  { method: "POST", path: "/iot/rule", public: true, handle: iotRuleRoute },
  ...lifecycleCommandNames.map(
    (name): RestRoute => ({
      method: "POST",
      path: `/hubs/:id/${name}`,
      handle: lifecycleCommandRoute(name),
    }),
  ),
];

export type RouteMatch =
  | {
      readonly kind: "found";
      readonly route: RestRoute;
      readonly id: string;
      readonly params: Readonly<Record<string, string | undefined>>;
    }
  | { readonly kind: "wrong-method"; readonly allow: string }
  | { readonly kind: "none" };

/** A find-my-way router over the table: the route for a method and path, or why there is none. */
export function createRestRouter(routes: readonly RestRoute[] = restRoutes) {
  const router = FindMyWay({ ignoreTrailingSlash: true, caseSensitive: true });
  for (const route of routes) router.on(route.method, route.path, () => undefined, { route });
  const methods = [...new Set(routes.map((route) => route.method))];
  return (method: string, path: string): RouteMatch => {
    const found = router.find(method as "GET", path);
    if (found) {
      const { route } = found.store as { route: RestRoute };
      return { kind: "found", route, id: found.params.id ?? "", params: found.params };
    }
    const allowed = methods.filter((other) => other !== method && router.find(other, path));
    return allowed.length > 0 ? { kind: "wrong-method", allow: allowed.join(", ") } : { kind: "none" };
  };
}
