import { graphql } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../src/schema/index.ts";

// Every place that shows an organization id can show its name: all of one request's `organization`
// fields are answered by one organizations.byIds call, never one call per row.
describe("organization names in a GraphQL answer", () => {
  const orgs = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"];
  const subscription = (id: string, orgId: string) => ({
    id,
    orgId,
    url: "https://example.com/hook",
    eventTypes: [],
    description: null,
    status: "active",
    pausedReason: null,
    previousSecretExpiresAt: null,
    failingSince: null,
    createdAt: 1,
    updatedAt: 1,
  });

  it("resolves the organizations of many rows with one batched call per request", async () => {
    const calls: string[][] = [];
    const context = {
      requestId: "r",
      principal: async () => ({ kind: "admin", id: "a", permissions: [] }),
      hubService: {
        webhooks: {
          list: {
            query: async () => [
              subscription("a", orgs[0] as string),
              subscription("b", orgs[1] as string),
              subscription("c", orgs[0] as string),
              subscription("d", "33333333-3333-4333-8333-333333333333"),
            ],
          },
        },
        organizations: {
          byIds: {
            query: async ({ ids }: { ids: string[] }) => {
              calls.push(ids);
              return orgs.map((id, index) => ({ id, name: `Org ${index}`, createdAt: 1 }));
            },
          },
        },
      },
    };
    const answer = await graphql({
      schema,
      contextValue: context,
      source: "{ webhookSubscriptions { id organization { id name } } }",
    });
    expect(answer.errors).toBeUndefined();
    expect(
      (answer.data?.webhookSubscriptions as { organization: { name: string } | null }[]).map(
        (s) => s.organization?.name ?? null,
      ),
    ).toEqual(["Org 0", "Org 1", "Org 0", null]);
    expect(calls).toHaveLength(1);
    expect([...(calls[0] ?? [])].sort()).toEqual([...orgs, "33333333-3333-4333-8333-333333333333"].sort());
  });
});
