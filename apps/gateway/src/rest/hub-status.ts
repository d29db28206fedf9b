import type { ServerResponse } from "node:http";
import { type HubView, hubIdSchema } from "@hub/shared";
import { orNull } from "../backend.ts";
import { sendJson } from "./responses.ts";
import type { RestCall } from "./routes.ts";

/**
 * The contract's `GET /hubs/{id}/status` body. The claim fields (orgId, siteId, isPrimary,
 * claimedAt) are required by the contract, but a hub has none until it is claimed: they are
 * omitted until then rather than filled with made-up values. The live fields are the contract's
 * optional ones: `online` (its AWS IoT presence), `lastSeen` (epoch ms), `version` (the hub's
 * FIRMWARE version as server_info last reported it, not the stream version) and `uptimeSeconds`,
 * each omitted while unknown.
 */
export type HubStatusBody = {
  hubId: string;
  serial: string;
  model: string;
  thingName: string;
  status: HubView["status"];
  provisionedAt: number;
  orgId?: string;
  siteId?: string;
  isPrimary?: boolean;
  claimedAt?: number;
  online: boolean;
  lastSeen?: number;
  version?: string;
  uptimeSeconds?: number;
};

export function toHubStatusBody(hub: HubView): HubStatusBody {
  const claimed =
    hub.orgId !== null && hub.siteId !== null && hub.claimedAt !== null
      ? { orgId: hub.orgId, siteId: hub.siteId, isPrimary: hub.isPrimary, claimedAt: hub.claimedAt }
      : {};
  return {
    hubId: hub.hubId,
    serial: hub.serial,
    model: hub.model,
    thingName: hub.thingName,
    status: hub.status,
    provisionedAt: hub.provisionedAt,
    ...claimed,
    online: hub.online,
    ...(hub.lastSeen !== null ? { lastSeen: hub.lastSeen } : {}),
    ...(hub.firmwareVersion !== null ? { version: hub.firmwareVersion } : {}),
    ...(hub.uptimeSeconds !== null ? { uptimeSeconds: hub.uptimeSeconds } : {}),
  };
}

/** The contract's 404 body, which differs from the other errors: `{success:false, errors:[{code, message}]}`. */
export function sendHubNotFound(res: ServerResponse): void {
  sendJson(res, 404, { success: false, errors: [{ code: 404, message: "Hub not found" }] });
}

/** GET /hubs/{id}/status — admins, services, and organizations with `hubs:read` for their own hubs. */
export async function hubStatusRoute({ res, pathId, caller, hubService }: RestCall): Promise<void> {
  // No hub has an id that is not a UUID: that is "not found", as the contract knows only 200/404.
  const id = hubIdSchema.safeParse(pathId.trim());
  if (!id.success) return sendHubNotFound(res);
  // Another organization's hub reads as no hub (hub-service's policy): 404, not 403.
  const hub = await orNull(hubService.hub.byId.query({ caller, hubId: id.data.toLowerCase() }));
  if (!hub) return sendHubNotFound(res);
  sendJson(res, 200, toHubStatusBody(hub));
}
