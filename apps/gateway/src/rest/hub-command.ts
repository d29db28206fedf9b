import { commandIdSchema, hubIdSchema } from "@hub/shared";
import { orNull } from "../backend.ts";
import { sendJson } from "./responses.ts";
import type { RestCall } from "./routes.ts";

/** The query 404 body (as GET /hubs/{id}/status answers it). */
function sendCommandNotFound(res: RestCall["res"]): void {
  sendJson(res, 404, { success: false, errors: [{ code: 404, message: "Command not found" }] });
}

/**
 * GET /hubs/{id}/commands/{commandId} (extension) — one command sent to the hub, as tracked to its
 * outcome (never its secret arguments' values). Who may read it is who may read the hub; a
 * command of another hub, of a hub the caller may not see, or none at all is 404, as is an id that
 * no hub or command could have.
 */
export async function hubCommandRoute({ res, pathId, params, caller, hubService }: RestCall): Promise<void> {
  const hubId = hubIdSchema.safeParse(pathId.trim());
  const commandId = commandIdSchema.safeParse(params.commandId ?? "");
  if (!hubId.success || !commandId.success) return sendCommandNotFound(res);
  const command = await orNull(
    hubService.hub.command.query({ caller, hubId: hubId.data.toLowerCase(), commandId: commandId.data }),
  );
  if (!command) return sendCommandNotFound(res);
  sendJson(res, 200, command);
}
