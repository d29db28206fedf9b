import type { IncomingMessage } from "node:http";
import { ValidationError } from "@hub/shared";

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The request body exceeds the limit of ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

export class UnsupportedMediaTypeError extends Error {
  constructor() {
    super("Content-Type must be application/json");
    this.name = "UnsupportedMediaTypeError";
  }
}

export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const [mediaType] = value.split(";");
  return mediaType?.trim().toLowerCase() === "application/json";
}

/** Reads a JSON body up to `limit` bytes; stops reading (and says so) as soon as it is exceeded. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  if (!isJsonContentType(req.headers["content-type"])) throw new UnsupportedMediaTypeError();
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "")
    throw new ValidationError("The request body is empty; a JSON object is required", [
      { field: "body", message: "required" },
    ]);
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError("The request body is not valid JSON", [
      { field: "body", message: "malformed JSON" },
    ]);
  }
}
