import type { IncomingMessage, ServerResponse } from "node:http";
import { provisionHubBodySchema } from "@hub/shared";
import { callerOf, type HubService } from "../hub-service.ts";
import type { Authenticate } from "../yoga.ts";
import { readCommandBody } from "./command-body.ts";
import { sendJson } from "./responses.ts";

export type RestDeps = {
  readonly hubService: HubService;
  readonly authenticate: Authenticate;
  readonly bodyLimitBytes: number;
};

/** POST /hubs/{id}/ProvisionHub — 201 with the new event, 200 with `event: null` on a repeat. */
export async function provisionHubRoute(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  pathId: string,
  requestId: string,
): Promise<void> {
  const principal = await deps.authenticate(credentialsOf(req));
  const body = await readCommandBody(req, deps.bodyLimitBytes, provisionHubBodySchema, pathId);
  const result = await deps.hubService.hub.provision.mutate({
    caller: callerOf(principal, requestId, "rest"),
    command: body,
  });
  sendJson(res, result.event ? 201 : 200, result);
}

export function credentialsOf(req: IncomingMessage): { authorization?: string; apiKey?: string } {
  const authorization = req.headers.authorization;
  const apiKey = req.headers["x-api-key"];
  return {
    ...(authorization !== undefined ? { authorization } : {}),
    ...(typeof apiKey === "string" ? { apiKey } : {}),
  };
}
