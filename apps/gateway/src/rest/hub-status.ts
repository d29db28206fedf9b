import type { IncomingMessage, ServerResponse } from "node:http";
import { canReadHubStatus, ForbiddenError, type HubView, hubIdSchema } from "@hub/shared";
import type { HubApi } from "../hub-api.ts";
import type { Authenticate } from "../yoga.ts";
import { credentialsOf } from "./provision-hub.ts";
import { sendJson } from "./responses.ts";

export type HubStatusDeps = {
  readonly hubApi: HubApi;
  readonly authenticate: Authenticate;
};

/**
 * The contract's `GET /hubs/{id}/status` body. Claim fields (orgId, siteId, isPrimary, claimedAt)
 * are required by the contract but a hub has none until it is claimed, and this backend has no
 * ClaimHub yet: they are omitted rather than filled with made-up values. Shadow fields (online,
 * lastSeen, version, uptimeSeconds) are optional in the contract and not known here.
 */
export type HubStatusBody = {
  hubId: string;
  serial: string;
  model: string;
  thingName: string;
  status: HubView["status"];
  provisionedAt: number;
};

export function toHubStatusBody(hub: HubView): HubStatusBody {
  return {
    hubId: hub.hubId,
    serial: hub.serial,
    model: hub.model,
    thingName: hub.thingName,
    status: hub.status,
    provisionedAt: hub.provisionedAt,
  };
}

/** The contract's 404 body, which differs from the other errors: `{success:false, errors:[{code, message}]}`. */
export function sendHubNotFound(res: ServerResponse): void {
  sendJson(res, 404, { success: false, errors: [{ code: 404, message: "Hub not found" }] });
}

/** GET /hubs/{id}/status — admins, services and organizations with `hubs:read`. */
export async function hubStatusRoute(
  deps: HubStatusDeps,
  req: IncomingMessage,
  res: ServerResponse,
  pathId: string,
  requestId: string,
): Promise<void> {
  const principal = await deps.authenticate(credentialsOf(req));
  if (!canReadHubStatus(principal)) throw new ForbiddenError("This caller may not read hubs");
  // No hub has an id that is not a UUID: that is "not found", as the contract knows only 200/404.
  const id = hubIdSchema.safeParse(pathId.trim());
  if (!id.success) return sendHubNotFound(res);
  const hub = await deps.hubApi.hubStatus({ principal, requestId, source: "rest" }, id.data.toLowerCase());
  if (!hub) return sendHubNotFound(res);
  sendJson(res, 200, toHubStatusBody(hub));
}
