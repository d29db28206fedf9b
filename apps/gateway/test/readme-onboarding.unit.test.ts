import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "@hub/test-support";
import { parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../src/schema/index.ts";

// Partners copy the README's "Onboarding a partner" operations as they are: each must be valid
// against the served schema (the GraphQL blocks, and the queries inside its curl examples).
const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
const section = readme.slice(
  readme.indexOf("### Onboarding a partner"),
  readme.indexOf("### Bulk provisioning"),
);

function operations(): string[] {
  const blocks = [...section.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
  const inCurl = [...section.matchAll(/"query":\s*"((?:[^"\\]|\\.)*)"/g)].map(
    (match) => JSON.parse(`"${(match[1] ?? "").replace(/\s*\n\s*/g, " ")}"`) as string,
  );
  return [...blocks, ...inCurl];
}

describe("the README's partner onboarding examples", () => {
  it("are there (create, issue, list, rotate, revoke)", () => {
    const all = operations().join("\n");
    for (const field of ["createOrganization", "issueApiKey", "apiKeys", "rotateApiKey", "revokeApiKey"]) {
      expect(all).toContain(field);
    }
  });

  it.each(operations().map((operation) => [operation.trim().slice(0, 60), operation] as const))(
    "%s… is valid against the schema",
    (_name, operation) => {
      expect(validate(schema, parse(operation)).map((error) => error.message)).toEqual([]);
    },
  );
});
