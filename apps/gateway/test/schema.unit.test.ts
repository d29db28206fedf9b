import { readFileSync } from "node:fs";
import { printSchema } from "graphql";
import { describe, expect, it } from "vitest";
import { SCHEMA_FILE } from "../src/print-schema.ts";
import { schema } from "../src/schema/index.ts";

describe("GraphQL schema", () => {
  it("matches the committed schema.graphql (run `npm run schema:print -w @hub/gateway` after API changes)", () => {
    expect(`${printSchema(schema)}\n`).toBe(readFileSync(SCHEMA_FILE, "utf8"));
  });

  it("offers provisionHub returning a result union of success and the expected failures", () => {
    const sdl = printSchema(schema);
    expect(sdl).toMatch(/provisionHub\(input: ProvisionHubInput!\): ProvisionHubResult!/);
    expect(sdl).toMatch(
      /union ProvisionHubResult = ConflictError \| ProvisionHubSuccess \| ThingNotFoundError \| UnavailableError \| ValidationError/,
    );
  });
});
