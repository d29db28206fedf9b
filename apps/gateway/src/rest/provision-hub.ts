import type { IncomingMessage, ServerResponse } from "node:http";
import { hubIdSchema, parseOrThrow, provisionHubBodySchema, ValidationError } from "@hub/shared";
import type { HubApi } from "../hub-api.ts";
import type { Authenticate } from "../yoga.ts";
import { readJsonBody } from "./body.ts";
import { sendJson } from "./responses.ts";

export type RestDeps = {
  readonly hubApi: HubApi;
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
  const raw = await readJsonBody(req, deps.bodyLimitBytes);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ValidationError("The request body must be a JSON object", [
      { field: "body", message: "must be an object" },
    ]);
  }
  const body = parseOrThrow(provisionHubBodySchema, raw);
  const id = parseOrThrow(hubIdSchema, pathId.trim(), "The path id must be a UUID");
  if (id.toLowerCase() !== body.hubId.toLowerCase()) {
    throw new ValidationError("hubId must equal the hub id in the path", [
      { field: "hubId", message: "must equal the path id" },
    ]);
  }
  const result = await deps.hubApi.provisionHub({ principal, requestId, source: "rest" }, body);
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
