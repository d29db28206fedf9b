import { lifecycleCall } from "@hub/hub-client";
import { type LifecycleCommandName, lifecycleCommands } from "@hub/shared";
import { readCommandBody } from "./command-body.ts";
import { sendJson } from "./responses.ts";
import type { RestCall } from "./routes.ts";

/**
 * POST /hubs/{id}/<Command> for a lifecycle command: 200 `{success, aggregateId, version, event}`,
 * `event: null` when the command's effect already held (the contract answers 200 either way).
 */
export function lifecycleCommandRoute(name: LifecycleCommandName) {
  const { body: schema } = lifecycleCommands[name];
  return async ({ req, res, pathId, caller, hubService, bodyLimitBytes }: RestCall) => {
    const body = await readCommandBody(req, bodyLimitBytes, schema, pathId);
    sendJson(res, 200, await lifecycleCall(hubService, name)({ caller, command: body as never }));
  };
}
