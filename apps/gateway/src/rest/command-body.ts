import type { IncomingMessage } from "node:http";
import { hubIdSchema, parseCommandBody, parseOrThrow, ValidationError } from "@hub/shared";
import type { z } from "zod";
import { readJsonBody } from "./body.ts";

/**
 * A command's JSON body, validated by its schema: a JSON object, its fields as the schema says,
 * and its `hubId` equal to the path's id (both UUIDs).
 */
export async function readCommandBody<Schema extends z.ZodType<{ hubId: string }>>(
  req: IncomingMessage,
  limit: number,
  schema: Schema,
  pathId: string,
): Promise<z.infer<Schema>> {
  const body = parseCommandBody(schema, await readJsonBody(req, limit));
  const id = parseOrThrow(hubIdSchema, pathId.trim(), "The path id must be a UUID");
  if (id.toLowerCase() !== body.hubId.toLowerCase()) {
    throw new ValidationError("hubId must equal the hub id in the path", [
      { field: "hubId", message: "must equal the path id" },
    ]);
  }
  return body;
}
