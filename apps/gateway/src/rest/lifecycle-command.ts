import type { IncomingMessage, ServerResponse } from "node:http";
import { lifecycleCall } from "@hub/hub-client";
import { type LifecycleCommandName, lifecycleCommands } from "@hub/shared";
import { callerOf } from "../hub-service.ts";
import { readCommandBody } from "./command-body.ts";
import { credentialsOf, type RestDeps } from "./provision-hub.ts";
import { sendJson } from "./responses.ts";

/**
 * POST /hubs/{id}/<Command> for a lifecycle command: 200 `{success, aggregateId, version, event}`,
 * `event: null` when the command's effect already held (the contract answers 200 either way).
 */
export function lifecycleCommandRoute(name: LifecycleCommandName) {
  const { body: schema } = lifecycleCommands[name];
  return async (
    deps: RestDeps,
    req: IncomingMessage,
    res: ServerResponse,
    pathId: string,
    requestId: string,
  ) => {
    const principal = await deps.authenticate(credentialsOf(req));
    const body = await readCommandBody(req, deps.bodyLimitBytes, schema, pathId);
    const result = await lifecycleCall(
      deps.hubService,
      name,
    )({
      caller: callerOf(principal, requestId, "rest"),
      command: body as never,
    });
    sendJson(res, 200, result);
  };
}
