import { provisionHubBodySchema } from "@hub/shared";
import { readCommandBody } from "./command-body.ts";
import { sendJson } from "./responses.ts";
import type { RestCall } from "./routes.ts";

/** POST /hubs/{id}/ProvisionHub — 201 with the new event, 200 with `event: null` on a repeat. */
export async function provisionHubRoute({ req, res, pathId, caller, hubService, bodyLimitBytes }: RestCall) {
  const body = await readCommandBody(req, bodyLimitBytes, provisionHubBodySchema, pathId);
  const result = await hubService.hub.provision.mutate({ caller, command: body });
  sendJson(res, result.event ? 201 : 200, result);
}
