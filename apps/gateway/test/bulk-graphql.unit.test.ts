import { graphql } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../src/schema/index.ts";

// How provisionHubs maps hub-service's item answers, including the one it cannot put in the
// union: an unexpected failure. The items come from a stand-in for hub-service here; the real
// path is bulk.e2e.test.ts.
const items = [
  {
    ok: true,
    index: 0,
    hubId: "h0",
    result: { success: true, aggregateId: "h0", version: 1, event: null },
  },
  {
    ok: false,
    index: 1,
    hubId: "h1",
    error: { kind: "CONFLICT", message: "taken", field: "serial", reason: "FIELD_TAKEN" },
  },
  { ok: false, index: 2, hubId: "h2", error: null },
  {
    ok: false,
    index: 3,
    hubId: "h3",
    error: { kind: "RATE_LIMITED", message: "slow down", retryAfterSeconds: 1 },
  },
];
const context = {
  requestId: "r",
  principal: async () => ({ kind: "admin", id: "a", permissions: [] }),
  hubService: { hub: { provisionMany: { mutate: async () => items } } },
};
const input = '[{hubId:"h0", serial:"s", model:"m"}]';

describe("provisionHubs result mapping", () => {
  it("an item that failed unexpectedly is null with a masked error at its path; the others stand", async () => {
    const result = await graphql({
      schema,
      contextValue: context,
      source: `mutation { provisionHubs(input: ${input}) {
        summary { created unchanged failed }
        results { __typename ... on ConflictError { field reason } }
      } }`,
    });
    expect(result.data?.provisionHubs).toEqual({
      summary: { created: 0, unchanged: 1, failed: 3 },
      results: [
        { __typename: "ProvisionHubSuccess" },
        { __typename: "ConflictError", field: "serial", reason: "FIELD_TAKEN" },
        null,
        null,
      ],
    });
    expect(result.errors?.map((e) => e.path)).toEqual([
      ["provisionHubs", "results", 2],
      ["provisionHubs", "results", 3],
    ]);
  });

  it("asking for the summary alone leaves nothing unhandled", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const result = await graphql({
        schema,
        contextValue: context,
        source: `mutation { provisionHubs(input: ${input}) { summary { failed } } }`,
      });
      expect(result).toEqual({ data: { provisionHubs: { summary: { failed: 3 } } } });
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
