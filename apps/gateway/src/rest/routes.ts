import type { IncomingMessage, ServerResponse } from "node:http";
import { lifecycleCommandNames, type RequestContext } from "@hub/shared";
import FindMyWay from "find-my-way";
import type { HubService } from "../backend.ts";
import { hubStatusRoute } from "./hub-status.ts";
import { lifecycleCommandRoute } from "./lifecycle-command.ts";
import { provisionHubRoute } from "./provision-hub.ts";
import { provisionHubsRoute } from "./provision-hubs.ts";

/** What a route is handed: its request, authenticated (the caller as hub-service receives it). */
export type RestCall = {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The route's `:id` ("" for a route without one). */
  readonly pathId: string;
  readonly caller: RequestContext;
  readonly hubService: HubService;
  readonly bodyLimitBytes: number;
};
type Handle = (call: RestCall) => Promise<void>;
export type RestRoute = { readonly method: "GET" | "POST"; readonly path: string; readonly handle: Handle };

/** The REST compatibility routes, one entry each; a lifecycle command's route comes with its entry in `lifecycleCommands`. */
export const restRoutes: readonly RestRoute[] = [
  { method: "POST", path: "/hubs/:id/ProvisionHub", handle: provisionHubRoute },
  { method: "POST", path: "/hubs/ProvisionHubs", handle: provisionHubsRoute },
  { method: "GET", path: "/hubs/:id/status", handle: hubStatusRoute },
  ...lifecycleCommandNames.map(
    (name): RestRoute => ({
      method: "POST",
      path: `/hubs/:id/${name}`,
      handle: lifecycleCommandRoute(name),
    }),
  ),
];

export type RouteMatch =
  | { readonly kind: "found"; readonly handle: Handle; readonly id: string; readonly route: string }
  | { readonly kind: "wrong-method"; readonly allow: string }
  | { readonly kind: "none" };

/** A find-my-way router over the table: the route for a method and path, or why there is none. */
export function createRestRouter(routes: readonly RestRoute[] = restRoutes) {
  const router = FindMyWay({ ignoreTrailingSlash: true, caseSensitive: true });
  for (const route of routes)
    router.on(route.method, route.path, () => undefined, { handle: route.handle, route: route.path });
  const methods = [...new Set(routes.map((route) => route.method))];
  return (method: string, path: string): RouteMatch => {
    const found = router.find(method as "GET", path);
    if (found) {
      const { handle, route } = found.store as { handle: Handle; route: string };
      return { kind: "found", handle, id: found.params.id ?? "", route };
    }
    const allowed = methods.filter((other) => other !== method && router.find(other, path));
    return allowed.length > 0 ? { kind: "wrong-method", allow: allowed.join(", ") } : { kind: "none" };
  };
}
