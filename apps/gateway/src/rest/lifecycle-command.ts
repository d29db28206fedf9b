import type { IncomingMessage, ServerResponse } from "node:http";
import { type LifecycleCommandName, lifecycleCommands } from "@hub/shared";
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
    const result = await deps.hubApi.execute({ principal, requestId, source: "rest" }, name, body as never);
    sendJson(res, 200, result);
  };
}
