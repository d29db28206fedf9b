import type { z } from "zod";
import { type FieldIssue, ValidationError } from "./errors.ts";

/** Turns zod issues into the `details: [{field, message}]` shape of the REST contract. */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ field: [...issue.path, key].join("."), message: "unknown field" }));
    }
    return [{ field: issue.path.join(".") || "body", message: issue.message }];
  });
}

/** Parses `input` or throws a ValidationError that names every offending field. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  message = "The request contains invalid parameters or malformed data",
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(message, toFieldIssues(result.error));
  return result.data;
}

/**
 * A command's body as the API receives it: a JSON object (anything else is refused as such), its
 * fields as `schema` says. The single REST call and each item of a bulk call answer alike.
 */
export function parseCommandBody<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ValidationError("The request body must be a JSON object", [
      { field: "body", message: "must be an object" },
    ]);
  }
  return parseOrThrow(schema, raw);
}
