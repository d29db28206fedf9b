import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type AppErrorData,
  fromAppErrorData,
  maxBulkItems,
  type ProvisionManyItem,
  parseCommandBody,
  provisionHubResultSchema,
  summarize,
} from "@hub/shared";
import { z } from "zod";
import { readJsonBody } from "./body.ts";
import { appErrorResponse, errorBodySchema, internalErrorBody, sendJson } from "./responses.ts";
import type { RestCall } from "./routes.ts";

/** The request: 1 to 1,000 ProvisionHub bodies; the items themselves are validated one by one. */
export const provisionHubsBodySchema = z.strictObject({
  hubs: z
    .array(z.unknown())
    .min(1, "at least one hub is required")
    .max(maxBulkItems, `at most ${maxBulkItems} hubs per request`)
    .describe("ProvisionHub bodies, as POST /hubs/{id}/ProvisionHub takes them"),
});

/** One item's answer: the status and body the single call would have answered for it. */
export const provisionHubsItemSchema = z.object({
  index: z.number().int().describe("The item's position in `hubs`"),
  hubId: z.string().nullable().describe("The item's hubId (null when it has none)"),
  status: z.number().int().describe("201 created, 200 unchanged, else the single call's error status"),
  body: z.union([provisionHubResultSchema, errorBodySchema]),
  retryAfter: z
    .number()
    .int()
    .optional()
    .describe("On a 503 or 429 item: seconds to wait before retrying it"),
});

export const provisionHubsResponseSchema = z.object({
  success: z.literal(true),
  results: z.array(provisionHubsItemSchema),
  summary: z.object({ created: z.number().int(), unchanged: z.number().int(), failed: z.number().int() }),
});
export type ProvisionHubsResponse = z.infer<typeof provisionHubsResponseSchema>;

/** A hub-service item as REST answers it. */
export function toRestItem(item: ProvisionManyItem): ProvisionHubsResponse["results"][number] {
  const { index, hubId } = item;
  if (item.ok) return { index, hubId, status: item.result.event ? 201 : 200, body: item.result };
  if (!item.error) return { index, hubId, status: 500, body: internalErrorBody };
  const { status, body, headers } = appErrorResponse(fromAppErrorData(item.error as AppErrorData));
  const retryAfter = headers["retry-after"];
  return { index, hubId, status, body, ...(retryAfter ? { retryAfter: Number(retryAfter) } : {}) };
}

/**
 * POST /hubs/ProvisionHubs — a manufacturing line's batch. 200 with one result per item, in
 * order, whatever the items' outcomes; the request fails as a whole only for what concerns it
 * as a whole (credentials, permission, not a list, more than 1,000 items, too large, rate limit).
 */
export async function provisionHubsRoute({ req, res, caller, hubService, bodyLimitBytes }: RestCall) {
  const { hubs } = parseCommandBody(provisionHubsBodySchema, await readJsonBody(req, bodyLimitBytes));
  const items = await hubService.hub.provisionMany.mutate({ caller, commands: [...hubs] });
  const response: ProvisionHubsResponse = {
    success: true,
    results: items.map(toRestItem),
    summary: summarize(items),
  };
  sendJson(res, 200, response);
}
