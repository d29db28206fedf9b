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
