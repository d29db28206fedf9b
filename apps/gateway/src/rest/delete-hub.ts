import {
  deleteHubSchema,
  hubDeletionModes,
  hubIdSchema,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
} from "@hub/shared";
import { sendJson } from "./responses.ts";
import type { RestCall } from "./routes.ts";

/** The header the contract names for the operator's key; `X-API-Key` is accepted as well. */
export const ADMIN_API_KEY_HEADER = "x-admin-api-key";

export const DUAL_CREDENTIALS_MESSAGE =
  "Deleting a hub requires both 'Authorization: Bearer <admin token>' and an API key ('X-API-Key' or 'X-Admin-API-Key')";

/**
 * Before authentication: both credentials must be there (401 otherwise); each is then verified
 * as usual, and hub-service's policy wants the token's admin role and the key's hubs:delete (403).
 */
export function requireDualCredentials(credentials: {
  authorization?: string | undefined;
  apiKey?: string | undefined;
}): void {
  if (credentials.authorization === undefined || credentials.apiKey === undefined) {
    throw new UnauthenticatedError(DUAL_CREDENTIALS_MESSAGE);
  }
}

/**
 * DELETE /admin/cleanup/hubs/{hubId}?mode=DELETE_DO_ONLY|DELETE_DO_AND_EVENTS[&force=true]: the
 * contract's 200 body (`success, hubId, mode, operations, deletionSummary, auditLogPath, duration,
 * errors`, plus our `auditRecordId`, `eventCount`, `archiveSha256`); 400 bad mode or force, 401,
 * 403, 404 unknown hub, 409 HUB_ACTIVE (a claimed, active hub without force=true).
 */
export async function deleteHubRoute({ req, res, params, caller, hubService }: RestCall): Promise<void> {
  const query = new URL(req.url ?? "/", "http://gateway").searchParams;
  const mode = query.get("mode");
  if (mode === null || !(hubDeletionModes as readonly string[]).includes(mode)) {
    throw new ValidationError(`mode must be one of ${hubDeletionModes.join(", ")}`, [
      { field: "mode", message: `must be one of ${hubDeletionModes.join(", ")}` },
    ]);
  }
  const force = query.get("force");
  if (force !== null && force !== "true" && force !== "false") {
    throw new ValidationError("force must be true or false", [
      { field: "force", message: "must be true or false" },
    ]);
  }
  // No hub has an id that is not a UUID.
  const id = hubIdSchema.safeParse((params.hubId ?? "").trim());
  if (!id.success) throw new NotFoundError("Hub not found");
  const input = deleteHubSchema.parse({ hubId: id.data.toLowerCase(), mode, force: force === "true" });
  sendJson(res, 200, await hubService.hub.delete.mutate({ caller, ...input }));
}
